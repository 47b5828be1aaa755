"""A small Python client for the get_recommendations HTTP API; signs with SigV4 when it calls an AWS execute-api URL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

EXECUTE_API = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?")


class RecommendationsError(Exception):
    """The API answered with an error (or could not be reached: status 0); `error` is its stable code."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        request_id: str | None = None,
        retry_after: float | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        self.status, self.error, self.message = status, error, message
        self.request_id, self.retry_after, self.fields = request_id, retry_after, list(fields)
        suffix = f" (requestId {request_id})" if request_id else ""
        super().__init__(f"{status} {error}: {message}{suffix}")


@dataclass(frozen=True)
class Item:
    item_id: str
    score: float | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    reason: list[str] = field(default_factory=list)
    promotion_name: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the API returned: the campaign that answered, Personalize's recommendationId and the items in order;
    `source` is "campaign" or "batch" (then `solution_version_arn` is the version the batch came from)."""

    campaign: str
    recommendation_id: str | None
    items: list[Item]
    source: str = "campaign"
    solution_version_arn: str | None = None

    @property
    def item_ids(self) -> list[str]:
        return [item.item_id for item in self.items]


class Recommendations:
    """Client of one deployment: `base_url` is the API's URL (with its stage, if any) or a local `serve` URL.

    session: a boto3.Session whose credentials sign requests to an execute-api URL (default: boto3's default chain);
    region: the signing region when the URL does not show it. Other URLs get plain, unsigned requests, unless
    sign=True (an IAM-protected API behind a custom domain; then give region, or the session's region is used).
    """

    def __init__(
        self,
        base_url: str,
        *,
        region: str | None = None,
        session: Any = None,
        timeout: float = 10.0,
        sign: bool | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        match = EXECUTE_API.fullmatch(urlsplit(self.base_url).hostname or "")
        self.region = region or (match.group(1) if match else None)
        self.signed = bool(match) if sign is None else sign
        self._session, self.timeout = session, timeout
        self._http = requests.Session()

    def recommendations(
        self,
        user_id: str,
        *,
        num_results: int | None = None,
        filter: str | None = None,
        filter_values: Mapping[str, Any] | None = None,
        context: Mapping[str, str] | None = None,
        metadata_columns: Sequence[str] | None = None,
        campaign: str | None = None,
    ) -> Answer:
        """Items for a user (GET /recommendations); campaign = "<datasetGroup>/<campaign>", else the default."""
        params = {
            "userId": user_id,
            "numResults": num_results,
            "filter": filter,
            "filterValues": filter_values,
            "context": context,
            "metadataColumns": metadata_columns,
        }
        return self._answer("GET", campaign, "recommendations", params)

    def related_items(
        self,
        item_id: str,
        *,
        user_id: str | None = None,
        num_results: int | None = None,
        filter: str | None = None,
        filter_values: Mapping[str, Any] | None = None,
        metadata_columns: Sequence[str] | None = None,
        campaign: str | None = None,
    ) -> Answer:
        """Items like `item_id` (GET /related-items), from a related-items campaign (e.g. aws-similar-items)."""
        params = {
            "itemId": item_id,
            "userId": user_id,
            "numResults": num_results,
            "filter": filter,
            "filterValues": filter_values,
            "metadataColumns": metadata_columns,
        }
        return self._answer("GET", campaign, "related-items", params)

    def rankings(
        self,
        user_id: str,
        items: Sequence[str],
        *,
        filter: str | None = None,
        filter_values: Mapping[str, Any] | None = None,
        context: Mapping[str, str] | None = None,
        metadata_columns: Sequence[str] | None = None,
        campaign: str | None = None,
    ) -> Answer:
        """`items` reordered for the user (POST /rankings), from a personalized-ranking campaign."""
        body = {
            "userId": user_id,
            "items": list(items),
            "filter": filter,
            "filterValues": filter_values,
            "context": context,
            "metadataColumns": metadata_columns,
        }
        return self._answer("POST", campaign, "rankings", body)

    def prepare(self, method: str, campaign: str | None, route: str, values: Mapping[str, Any]) -> requests.Request:
        """The request to send: query string (GET) or JSON body (POST), signed when the URL is execute-api."""
        present = {k: v for k, v in values.items() if v is not None}
        path = f"/campaigns/{campaign}/{route}" if campaign else f"/{route}"
        headers, data = {"Accept": "application/json"}, b""
        url = self.base_url + path
        if method == "GET":
            encoded = {k: _query_value(v) for k, v in present.items()}
            url += "?" + urlencode(encoded, quote_via=quote, safe="")
        else:
            data = json.dumps(present).encode()
            headers["Content-Type"] = "application/json"
        if self.signed:
            headers = self._sign(method, url, headers, data)
        return requests.Request(method, url, headers=headers, data=data or None)

    def _sign(self, method: str, url: str, headers: dict[str, str], data: bytes) -> dict[str, str]:
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        session = self._session or boto3.Session()
        credentials = session.get_credentials()
        region = self.region or session.region_name
        if credentials is None:
            return headers  # no credentials here: an IAM-protected API will answer 403, reported as such
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
        return dict(request.headers.items())

    def _answer(self, method: str, campaign: str | None, route: str, values: Mapping[str, Any]) -> Answer:
        prepared = self._http.prepare_request(self.prepare(method, campaign, route, values))
        try:
            response = self._http.send(prepared, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RecommendationsError(0, "ConnectionError", f"could not reach {self.base_url}: {exc}") from exc
        body = _json(response)
        if response.status_code != 200:
            raise _error(response, body)
        return Answer(
            campaign=body.get("campaign", ""),
            recommendation_id=body.get("recommendationId"),
            items=[_item(i) for i in body.get("items", [])],
            source=body.get("source", "campaign"),
            solution_version_arn=body.get("solutionVersionArn"),
        )


def _query_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return json.dumps(dict(value), separators=(",", ":"))
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:300]}
    return body if isinstance(body, dict) else {"message": str(body)[:300]}


def _error(response: requests.Response, body: dict[str, Any]) -> RecommendationsError:
    retry = body.get("retryAfterSeconds", response.headers.get("Retry-After"))
    return RecommendationsError(
        status=response.status_code,
        error=str(body.get("error") or response.reason or "Error"),
        message=str(body.get("message") or "(no message in the answer)"),
        request_id=body.get("requestId") or response.headers.get("apigw-requestid"),
        retry_after=float(retry) if retry is not None else None,
        fields=body.get("fields", ()),
    )


def _item(raw: dict[str, Any]) -> Item:
    return Item(
        item_id=raw["itemId"],
        score=raw.get("score"),
        metadata=raw.get("metadata") or {},
        reason=raw.get("reason") or [],
        promotion_name=raw.get("promotionName"),
    )
