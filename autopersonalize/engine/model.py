"""Model: what a trained solution version holds, and the runtime calls (recommend, related_items, rank)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from autopersonalize.engine.data import Encoded
from autopersonalize.engine.recipes import RELATED_ITEMS, USER_SEGMENTATION
from autopersonalize.engine.scorers import PopularityScorer, Related, SequenceScorer
from autopersonalize.engine.segments import SegmentQueryError, SegmentScorer, top_users

Mask = Callable[[np.ndarray], np.ndarray]


class WrongRecipeTypeError(ValueError):
    """The call does not fit the recipe type (e.g. an itemId lookup on a user-personalization model)."""


@dataclass
class Model:
    """A trained model: recipe, item universe, the training histories and a scorer. Picklable."""

    recipe: str
    recipe_type: str
    data: Encoded
    scorer: PopularityScorer | SequenceScorer | None
    related: Related | None
    training_seconds: float
    item_created: np.ndarray | None = None  # per item: CREATION_TIMESTAMP, else its first interaction (NaN: unknown)
    item_metadata: sp.csr_matrix | None = None  # user recipes with an Items dataset: rows of features.metadata_matrix
    segments: SegmentScorer | None = None  # USER_SEGMENTATION recipes: users for an item or item attributes
    _item_index: dict[str, int] = field(init=False, repr=False)
    _user_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._item_index = {item: i for i, item in enumerate(self.data.items)}
        self._user_index = {user: u for u, user in enumerate(self.data.users)}

    @property
    def items(self) -> np.ndarray:
        """All item ids known to the model."""
        return self.data.items

    def recommend(
        self,
        user_id: str | None,
        num_results: int,
        *,
        extra_history: Sequence[tuple[str, int]] = (),
        allowed: Mask | None = None,
        exploration: Exploration | None = None,
    ) -> list[tuple[str, float]]:
        """Top items for a user (popular items for an unknown one); seen items stay unless `allowed` masks them.

        `exploration` (a User-Personalization campaign's itemExplorationConfig) mixes in young items with few
        interactions; see explore().
        """
        self._require_user_recipe("recommend for a userId")
        history, ts = self._history(user_id, extra_history)
        scores = self.history_scores(history, ts)
        if exploration is not None and exploration.weight > 0:
            scores = explore(self, scores, history, exploration)
        return self._top(scores, num_results, allowed)

    def related_items(self, item_id: str, num_results: int, *, allowed: Mask | None = None) -> list[tuple[str, float]]:
        """Items related to `item_id` (never the item itself); popular items when the item is unknown."""
        if self.recipe_type == USER_SEGMENTATION:
            self._require_user_recipe("recommend related items")
        if self.related is None:
            raise WrongRecipeTypeError(
                f"Recipe {self.recipe} ({self.recipe_type}) recommends for a userId, not an itemId; "
                "use a RELATED_ITEMS recipe such as aws-similar-items for related items."
            )
        index = self._item_index.get(str(item_id))
        if index is None:
            scores = self.related.popularity.copy()
        else:
            scores = self.related.related(index)
            scores[index] = -np.inf
        return self._top(scores, num_results, allowed)

    def users_for_item(self, item_id: str, num_results: int) -> list[str]:
        """Item-Affinity: the users most likely to interact with the item, best first (a batch segment job's line).

        SegmentQueryError when the item was not in the training data ("the item must have been present when you
        created the solution version")."""
        segments = self._require_segments("get users for an itemId")
        index = self._item_index.get(str(item_id))
        if index is None:
            raise SegmentQueryError(
                f"itemId {item_id!r} is not in the training data of this solution version; a segment can only be "
                "made for an item present when the version was trained."
            )
        return self._users(segments.item_scores(index), num_results)

    def users_for_attributes(self, expression: str, num_results: int) -> list[str]:
        """Item-Attribute-Affinity: the users most likely to interact with items that have every attribute of
        `ITEMS.<FIELD> = "value" [AND ...]`, best first; SegmentQueryError for a bad or unmatched expression."""
        segments = self._require_segments("get users for item attributes")
        return self._users(segments.attribute_scores(segments.matching_items(expression)), num_results)

    def _users(self, scores: np.ndarray, num_results: int) -> list[str]:
        return [str(self.data.users[u]) for u in top_users(scores, num_results)]

    def _require_segments(self, what: str) -> SegmentScorer:
        if self.segments is None:
            raise WrongRecipeTypeError(
                f"Recipe {self.recipe} ({self.recipe_type}) cannot {what}; train aws-item-affinity or "
                "aws-item-attribute-affinity (USER_SEGMENTATION)."
            )
        return self.segments

    def rank(
        self, user_id: str, item_ids: Sequence[str], *, extra_history: Sequence[tuple[str, int]] = ()
    ) -> list[tuple[str, float]]:
        """Order `item_ids` for the user; items unknown to the model go last, in their given order."""
        self._require_user_recipe("rank items for a userId")
        scores = self.history_scores(*self._history(user_id, extra_history))
        known = [(item, scores[self._item_index[item]]) for item in map(str, item_ids) if item in self._item_index]
        unknown = [item for item in map(str, item_ids) if item not in self._item_index]
        known.sort(key=lambda pair: -pair[1])
        shown = _normalise(np.array([score for _, score in known], dtype=np.float64))
        result = [(item, float(score)) for (item, _), score in zip(known, shown, strict=True)]
        last = float(shown[-1]) / 2 if len(shown) else 1.0
        return result + [(item, last) for item in unknown]

    def history_scores(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Non-negative scores over all item indices for a history of item indices (oldest first)."""
        if self.scorer is None:
            raise WrongRecipeTypeError(f"Recipe {self.recipe} ({self.recipe_type}) does not score user histories.")
        return self.scorer.score(items, ts)

    def _history(self, user_id: str | None, extra: Sequence[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
        u = self._user_index.get(str(user_id)) if user_id is not None else None
        items, ts = self.data.history(u) if u is not None else (np.zeros(0, np.int32), np.zeros(0, np.int64))
        known = [(self._item_index[str(i)], int(t)) for i, t in extra if str(i) in self._item_index]
        if not known:
            return items, ts
        all_items = np.concatenate([items, np.array([i for i, _ in known], dtype=np.int32)])
        all_ts = np.concatenate([ts, np.array([t for _, t in known], dtype=np.int64)])
        order = np.argsort(all_ts, kind="stable")
        return all_items[order], all_ts[order]

    def _require_user_recipe(self, what: str) -> None:
        if self.recipe_type == USER_SEGMENTATION:
            raise WrongRecipeTypeError(
                f"Recipe {self.recipe} (USER_SEGMENTATION) cannot {what}; it finds users for items, in a batch "
                "segment job (users_for_item, users_for_attributes)."
            )
        if self.recipe_type == RELATED_ITEMS:
            raise WrongRecipeTypeError(
                f"Recipe {self.recipe} (RELATED_ITEMS) cannot {what}; it takes an itemId. "
                "Call related_items, or train a USER_PERSONALIZATION or PERSONALIZED_RANKING recipe."
            )

    def _top(self, scores: np.ndarray, num_results: int, allowed: Mask | None) -> list[tuple[str, float]]:
        scores = scores.astype(np.float64, copy=True)
        if allowed is not None:
            mask = np.asarray(allowed(self.items), dtype=bool)
            if mask.shape != scores.shape:
                raise ValueError(f"allowed() returned a mask of shape {mask.shape} for {len(scores)} items.")
            scores[~mask] = -np.inf
        candidates = np.flatnonzero(np.isfinite(scores))
        k = min(num_results, len(candidates))
        if k <= 0:
            return []
        picked = candidates[np.lexsort((candidates, -scores[candidates]))[:k]]  # ties: the lower item index first
        shown = _normalise(scores[picked])
        return [(str(self.items[i]), float(score)) for i, score in zip(picked, shown, strict=True)]


@dataclass(frozen=True)
class Exploration:
    """campaignConfig.itemExplorationConfig of a User-Personalization campaign (defaults 0.3 and 30 days)."""

    weight: float = 0.3  # explorationWeight, 0..1
    age_cutoff_days: float = 30.0  # explorationItemAgeCutOff


EXPLORATION_SCALE = 3.5  # calibrated on Personalize's own campaign at the defaults, see explore()


def explore(model: Model, scores: np.ndarray, history: np.ndarray, exploration: Exploration) -> np.ndarray:
    """The model's scores (top = 1) plus an exploration bonus for the items within the age cut-off:
    weight x EXPLORATION_SCALE x 1/sqrt(1 + the item's interactions) x its relevance to the user (0..1): the likeness
    of its categorical metadata to the user's history (cosine), or, without item metadata or a history that has some,
    the model's own score (so the bonus boosts what the interactions already relate to the user, and an item nothing
    relates to is not explored).

    Developer guide (User-Personalization recipe): "With more exploration, recommendations include more items with
    less interactions data or relevance", "at zero, no exploration"; explorationItemAgeCutOff is "the maximum item age
    in days since the latest interaction across all items", the age coming from CREATION_TIMESTAMP or, without it,
    from the interactions. The recipe "can also use any item ... metadata", which is the only relevance an item
    without interactions has to a user. The algorithm itself is not documented; what is known is what it gives: the
    POC in a box campaign (default 0.3 and 30 days, MovieLens latest-small, 95 items within the cut-off) returned 0,
    0 and 2 of them in the top 25 of its three printed users (docs/engine.md, "Exploration"), so a young item has to
    earn its place. The scale puts the engine's mean on that input near one per list at 0.3; at 1.0 young items that
    match the user fill the list.
    """
    if model.item_created is None or len(model.data.ts) == 0:
        return scores
    age_days = (float(model.data.ts.max()) - model.item_created) / 86_400.0
    young = np.flatnonzero(np.nan_to_num(age_days, nan=np.inf) <= exploration.age_cutoff_days)
    if len(young) == 0:
        return scores
    counts = np.bincount(model.data.item, minlength=len(model.items))[young]
    top = scores.max() if len(scores) else 0.0
    explored = scores / top if top > 0 else scores.astype(np.float64, copy=True)
    relevance = explored[young]
    if model.item_metadata is not None and len(history):
        profile = np.asarray(model.item_metadata[np.unique(history)].sum(axis=0)).ravel()
        norm = np.linalg.norm(profile)
        if norm > 0:  # rows are L2-normalised: a cosine; a young item without categorical metadata gets 0
            relevance = np.asarray(model.item_metadata[young] @ (profile / norm)).ravel()
    explored[young] += exploration.weight * EXPLORATION_SCALE * relevance / np.sqrt(1.0 + counts)
    return explored


def _normalise(values: np.ndarray) -> np.ndarray:
    """Descending non-negative scores -> (0, 1]: divide by the top; zeros go just below the smallest positive."""
    positive = values[values > 0]
    if len(positive) == 0:
        return np.ones_like(values)
    out = values / positive.max()
    out[values <= 0] = max(positive.min() / positive.max() / 2, 1e-12)
    return out
