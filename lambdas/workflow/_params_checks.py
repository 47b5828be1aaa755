"""Cross-field checks of a params document, on the raw JSON so they run even where parts fail the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow import _domains as domains
from workflow import _recipes as recipes
from workflow import avro
from workflow._filter_expr import FilterSyntaxError
from workflow._filter_expr import parse as parse_filter
from workflow._params_access import DATASET_TYPES, Doc, as_object, suggest
from workflow._params_base import SEGMENT_METRICS
from workflow._params_errors import show
from workflow._params_experiments import experiment_problems
from workflow._params_filters import filter_problems
from workflow._params_segments import segment_problems

NAMED_LISTS = (
    "solutions",
    "campaigns",
    "recommenders",
    "filters",
    "batchInferenceJobs",
    "batchSegmentJobs",
    "experiments",
)
BATCH_JOBS = ("batchInferenceJobs", "batchSegmentJobs")


def cross_field_problems(raw: dict[str, Any], loaded: dict[int, dict[str, Any]]) -> list[str]:
    """Every cross-field problem; `loaded` maps a dataset's index to the schema read from its schemaFile."""
    doc = Doc(raw, loaded)
    checks: list[Callable[[Doc], list[str]]] = [
        _dataset_group,
        _datasets,
        _schemas,
        _unique_names,
        _references,
        _solutions,
        _gates,
        _campaigns,
        _recommenders,
        _domain_schemas,
        _batch_jobs,
        segment_problems,
        filter_problems,
        experiment_problems,
        _polling,
    ]
    return [problem for check in checks for problem in check(doc)]


def _dataset_group(doc: Doc) -> list[str]:
    """CreateDatasetGroup: a KMS key needs a role to use it, and a role is only valid with a KMS key."""
    group = as_object(doc.raw.get("datasetGroup"))
    if group.get("kmsKeyArn") and not group.get("roleArn"):
        return [
            "datasetGroup.roleArn: missing; kmsKeyArn needs an IAM role with permissions to use the key"
            " (CreateDatasetGroup); add roleArn or remove kmsKeyArn"
        ]
    if group.get("roleArn") and not group.get("kmsKeyArn"):
        return [
            "datasetGroup.roleArn: only valid together with kmsKeyArn (CreateDatasetGroup); remove it or add kmsKeyArn"
        ]
    return []


def _datasets(doc: Doc) -> list[str]:
    if not isinstance(doc.raw.get("datasets"), list):
        return []
    problems: list[str] = []
    first: dict[Any, str] = {}
    for _, path, dataset in doc.entries("datasets"):
        kind = dataset.get("datasetType")
        if not isinstance(kind, str):
            continue
        if kind in first:
            problems.append(f'{path}.datasetType: "{kind}" again (first at {first[kind]}); each type may appear once')
        first.setdefault(kind, path)
    if "Interactions" not in first:
        problems.append('datasets: no dataset has datasetType "Interactions"; add one (Personalize trains on it)')
    for _, path, dataset in doc.entries("datasets"):
        problems += _fill_problems(doc, path, dataset)
    return problems


# An Avro base type -> (the JSON values a fill constant of it may be, what to say)
_FILL_VALUES: dict[str, tuple[Callable[[object], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31, "a whole number"),
    "long": (lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63, "a whole number"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "double": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
}


def _fill_problems(doc: Doc, path: str, dataset: dict[str, Any]) -> list[str]:
    """datasets[].fill: each key a field of the dataset's schema (so only Interactions can fill EVENT_TYPE), each value
    of that field's type. Whether the source also has the column is the run's check (it has the data)."""
    kind, fill = dataset.get("datasetType"), dataset.get("fill")
    if not isinstance(fill, dict) or kind not in DATASET_TYPES:
        return []
    problems = []
    names = avro.field_names(doc.schema(kind) or {})
    for name, value in fill.items():
        where = f"{path}.fill.{name}"
        found = doc.field_type(kind, name)
        if found is None:
            problems.append(f'{where}: "{name}" is not a field of the {kind} schema{suggest(name, names, "fields")}')
        elif found[0] in _FILL_VALUES and not _FILL_VALUES[found[0]][0](value):
            wanted = _FILL_VALUES[found[0]][1]
            problems.append(
                f"{where}: found {show(value)}; allowed: {wanted} (the {kind} schema types {name} {found[0]})"
            )
    return problems


def _schemas(doc: Doc) -> list[str]:
    problems = []
    for index, path, dataset in doc.entries("datasets"):
        kind = dataset.get("datasetType")
        if kind not in DATASET_TYPES:
            continue
        if "schema" in dataset and isinstance(dataset["schema"], dict):
            problems += avro.check_schema(dataset["schema"], kind, f"{path}.schema")
        elif index in doc.loaded:
            problems += avro.check_schema(doc.loaded[index], kind, f'{path}.schemaFile("{dataset.get("schemaFile")}")')
    return problems


def _unique_names(doc: Doc) -> list[str]:
    problems = []
    for key in NAMED_LISTS:
        first: dict[str, str] = {}
        for _, path, entry in doc.entries(key):
            name = entry.get("name")
            if isinstance(name, str) and name in first:
                problems.append(f'{path}.name: "{name}" is also the name of {first[name]}; names are unique in {key}')
            elif isinstance(name, str):
                first[name] = path
    for key in ("solution", "recommender"):
        gated: dict[str, str] = {}
        for _, path, gate in doc.entries("metricsGate"):
            name = gate.get(key)
            if isinstance(name, str) and name in gated:
                problems.append(f'{path}.{key}: "{name}" already has a gate at {gated[name]}; merge the two')
            elif isinstance(name, str):
                gated[name] = path
    return problems


def _references(doc: Doc) -> list[str]:
    problems, solutions, filters = [], doc.names("solutions"), doc.names("filters")
    for key in ("campaigns", "metricsGate", *BATCH_JOBS):
        for _, path, entry in doc.entries(key):
            name = entry.get("solution")
            if isinstance(name, str) and name not in solutions:
                problems.append(
                    f'{path}.solution: "{name}" is not a solution name{suggest(name, solutions, "solutions")}'
                )
    recommenders = doc.names("recommenders")
    for _, path, gate in doc.entries("metricsGate"):
        name = gate.get("recommender")
        if isinstance(name, str) and name not in recommenders:
            problems.append(
                f'{path}.recommender: "{name}" is not a recommender name{suggest(name, recommenders, "recommenders")}'
            )
    for _, path, job in [entry for key in BATCH_JOBS for entry in doc.entries(key)]:
        name = job.get("filter")
        if isinstance(name, str) and name not in filters:
            problems.append(f'{path}.filter: "{name}" is not a filter name{suggest(name, filters, "filters")}')
    return problems


def _solutions(doc: Doc) -> list[str]:
    problems = []
    for _, path, solution in doc.entries("solutions"):
        recipe = recipes.recipe_name(solution["recipe"]) if isinstance(solution.get("recipe"), str) else None
        if recipe in recipes.UNSUPPORTED:
            problems.append(f'{path}.recipe: "{recipe}" is not supported: {recipes.UNSUPPORTED[recipe]}')
        if (
            solution.get("trainingMode") == "UPDATE"
            and recipe in recipes.RECIPES
            and recipe not in recipes.UPDATE_RECIPES
        ):
            allowed = ", ".join(sorted(recipes.UPDATE_RECIPES))
            problems.append(
                f'{path}.trainingMode: "UPDATE" works only with {allowed}; solution {show(solution.get("name"))}'
                f' uses recipe "{recipe}"; use "FULL"'
            )
        schedule = as_object(solution.get("retrainSchedule"))
        if schedule.get("update") and recipe in recipes.RECIPES and recipe not in recipes.UPDATE_RECIPES:
            allowed = ", ".join(sorted(recipes.UPDATE_RECIPES))
            problems.append(
                f"{path}.retrainSchedule.update: UPDATE training works only with {allowed}; solution"
                f' {show(solution.get("name"))} uses recipe "{recipe}"; schedule "full" instead'
            )
        events = as_object(solution.get("solutionConfig")).get("eventsConfig")
        if events is not None and recipe in recipes.RECIPES and recipe not in recipes.EVENTS_CONFIG_RECIPES:
            allowed = ", ".join(sorted(recipes.EVENTS_CONFIG_RECIPES))
            problems.append(
                f"{path}.solutionConfig.eventsConfig: only {allowed} use an events configuration; solution"
                f' {show(solution.get("name"))} uses recipe "{recipe}", which would train as if it were not there;'
                " remove it or use one of those recipes"
            )
        problems += _solution_config(doc, path, solution)
        config = as_object(as_object(solution.get("solutionConfig")).get("trainingDataConfig"))
        problems += _training_columns(doc, f"{path}.solutionConfig.trainingDataConfig", config)
    return problems


def _training_columns(doc: Doc, path: str, config: dict[str, Any]) -> list[str]:
    """trainingDataConfig's excluded/included columns must name datasets and fields the file has."""
    problems = []
    for key in ("excludedDatasetColumns", "includedDatasetColumns"):
        for dataset, columns in as_object(config.get(key)).items():
            if dataset not in doc.dataset_types():
                problems.append(f"{path}.{key}.{dataset}: this file has no {dataset} dataset; remove the entry")
                continue
            names = avro.field_names(doc.schema(dataset) or {})
            for column in columns if isinstance(columns, list) else []:
                if isinstance(column, str) and doc.field_type(dataset, column) is None:
                    problems.append(
                        f'{path}.{key}.{dataset}: "{column}" is not a field of the {dataset} schema'
                        f"{suggest(column, names, 'fields')}"
                    )
    return problems


def _solution_config(doc: Doc, path: str, solution: dict[str, Any]) -> list[str]:
    config = as_object(solution.get("solutionConfig"))
    problems = []
    if "hpoObjective" in as_object(config.get("hpoConfig")):
        problems.append(
            f"{path}.solutionConfig.hpoConfig.hpoObjective: Personalize does not support configuring it"
            f" (CreateSolution); remove it from solution {show(solution.get('name'))}"
        )
    for key, flag in (("hpoConfig", "performHPO"), ("autoTrainingConfig", "performAutoTraining")):
        if key in config and solution.get(flag) is not True:
            problems.append(
                f'{path}.solutionConfig.{key}: ignored unless {flag} is true; set "{flag}": true or remove it'
            )
    uses = [
        ("eventType", "EVENT_TYPE", solution.get("eventType")),
        ("solutionConfig.eventValueThreshold", "EVENT_VALUE", config.get("eventValueThreshold")),
        ("solutionConfig.eventsConfig", "EVENT_TYPE", config.get("eventsConfig")),
    ]
    for key, field, value in uses:
        if value is not None and doc.field_type("Interactions", field) is None:
            problems.append(f"{path}.{key}: needs an {field} field in the Interactions schema, which has none; add it")
    objective = config.get("optimizationObjective")
    attribute = objective.get("itemAttribute") if isinstance(objective, dict) else None
    if isinstance(attribute, str):
        if "Items" not in doc.dataset_types():
            problems.append(
                f'{path}.solutionConfig.optimizationObjective.itemAttribute: "{attribute}" needs an Items dataset'
            )
        elif (found := doc.field_type("Items", attribute)) is None or found[0] not in (
            None,
            "int",
            "long",
            "float",
            "double",
        ):
            problems.append(
                f'{path}.solutionConfig.optimizationObjective.itemAttribute: "{attribute}" is not a numeric'
                " field of the Items schema"
            )
    return problems


def _gates(doc: Doc) -> list[str]:
    problems = []
    for _, path, gate in doc.entries("metricsGate"):
        solution = doc.solution(gate.get("solution"))
        if solution is not None and solution.get("trainingMode") == "UPDATE":
            problems.append(
                f'{path}.solution: "{gate["solution"]}" trains in UPDATE mode, which produces no metrics to'
                " gate on; gate a FULL solution or remove this gate"
            )
        for key in ("minimums", "maxDropVsDeployed", "minLiftOverBaselines") if gate.get("recommender") else ():
            for metric in as_object(gate.get(key)):
                if metric in SEGMENT_METRICS:
                    problems.append(
                        f"{path}.{key}.{metric}: recommender {show(gate['recommender'])} does not report it (a "
                        "recommender reports coverage, precision, NDCG and MRR at K); choose one of those"
                    )
        if not any(gate.get(key) for key in ("minimums", "maxDropVsDeployed", "minLiftOverBaselines")):
            problems.append(
                f"{path}: no minimums, maxDropVsDeployed or minLiftOverBaselines, so it accepts everything; add one "
                "or remove it"
            )
    return problems


def _campaigns(doc: Doc) -> list[str]:
    problems = []
    gated = {g["solution"]: p for _, p, g in doc.entries("metricsGate") if isinstance(g.get("solution"), str)}
    for _, path, campaign in doc.entries("campaigns"):
        name, recipe = campaign.get("solution"), doc.recipe(campaign.get("solution"))
        if recipe in recipes.NO_CAMPAIGN:
            problems.append(
                f'{path}.solution: "{name}" uses {recipe} (user segmentation), which cannot back a campaign'
            )
        config = as_object(campaign.get("campaignConfig"))
        if "itemExplorationConfig" in config and recipe is not None and recipe not in recipes.EXPLORATION_RECIPES:
            problems.append(
                f'{path}.campaignConfig.itemExplorationConfig: only for User-Personalization recipes; "{name}"'
                f" uses {recipe}; remove it"
            )
        problems += _exploration_values(
            f"{path}.campaignConfig.itemExplorationConfig", config.get("itemExplorationConfig")
        )
        if config.get("enableMetadataWithRecommendations") is True and "Items" not in doc.dataset_types():
            problems.append(f"{path}.campaignConfig.enableMetadataWithRecommendations: needs an Items dataset; add one")
        if config.get("syncWithLatestSolutionVersion") is True and name in gated:
            problems.append(
                f'{path}.campaignConfig.syncWithLatestSolutionVersion: true deploys every new version of "{name}"'
                f" without the metrics gate at {gated[name]}; remove one of the two"
            )
    return problems


def _recommenders(doc: Doc) -> list[str]:
    """Recommenders need a domain dataset group, a use case of its domain and the datasets and events it trains on;
    apps name them like campaigns (<datasetGroup>/<name>), so no campaign or served batch job may share the name."""
    problems: list[str] = []
    domain = as_object(doc.raw.get("datasetGroup")).get("domain")
    served = {str(c["name"]): p for _, p, c in doc.entries("campaigns") if isinstance(c.get("name"), str)}
    jobs = doc.entries("batchInferenceJobs")
    served |= {str(j["name"]): p for _, p, j in jobs if isinstance(j.get("name"), str) and j.get("serving") is not None}
    interactions = next((d for _, _, d in doc.entries("datasets") if d.get("datasetType") == "Interactions"), {})
    filled = as_object(interactions.get("fill")).get("EVENT_TYPE")
    for _, path, recommender in doc.entries("recommenders"):
        name = recommender.get("name")
        if isinstance(name, str) and name in served:
            problems.append(
                f'{path}.name: "{name}" is also {served[name]}; apps name both as <datasetGroup>/<name>: rename one'
            )
        case = domains.use_case(recommender["recipe"]) if isinstance(recommender.get("recipe"), str) else None
        if domain not in domains.DOMAINS:
            problems.append(
                f"{path}: recommenders need a domain dataset group (CreateRecommender); set datasetGroup.domain to "
                f"{' or '.join(domains.DOMAINS)}, or train a solution and deploy a campaign instead"
            )
        elif case is not None and case.domain != domain:
            problems.append(
                f'{path}.recipe: "{recommender["recipe"]}" is a {case.domain} use case, but datasetGroup.domain is '
                f"{domain}; allowed: {', '.join(domains.recipes_of(domain))}"
            )
        else:
            problems += _recommender_needs(doc, path, recommender, case, filled)
    return problems


def _recommender_needs(
    doc: Doc, path: str, recommender: dict[str, Any], case: domains.UseCase | None, filled: object
) -> list[str]:
    """`filled`: the Interactions dataset's fill of EVENT_TYPE, the type of every interaction (or None)."""
    problems = []
    recipe = recipes.recipe_name(str(recommender.get("recipe")))
    for kind in case.datasets if case else ():
        if kind not in doc.dataset_types():
            problems.append(f"{path}.recipe: {recipe} trains on an {kind} dataset (required); add one")
    if case and case.event_types and isinstance(filled, str) and filled not in case.event_types:
        problems.append(
            f"{path}.recipe: {recipe} trains on {' or '.join(case.event_types)} events, but every interaction gets "
            f'the type "{filled}" (datasets[Interactions].fill.EVENT_TYPE); use "{case.event_types[0]}"'
        )
    config = as_object(recommender.get("recommenderConfig"))
    exploration = config.get("itemExplorationConfig")
    if exploration is not None and case is not None and not case.explores:
        allowed = ", ".join(n for n, c in domains.USE_CASES.items() if c.explores)
        problems.append(
            f"{path}.recommenderConfig.itemExplorationConfig: only for use cases that personalize for a user "
            f"({allowed}); {recipe} does not: remove it"
        )
    problems += _exploration_values(f"{path}.recommenderConfig.itemExplorationConfig", exploration)
    if config.get("enableMetadataWithRecommendations") is True and "Items" not in doc.dataset_types():
        problems.append(f"{path}.recommenderConfig.enableMetadataWithRecommendations: needs an Items dataset; add one")
    training = as_object(config.get("trainingDataConfig"))
    problems += _training_columns(doc, f"{path}.recommenderConfig.trainingDataConfig", training)
    return problems


def _domain_schemas(doc: Doc) -> list[str]:
    """A domain dataset group's schemas must have the domain's required fields (checked before anything is made)."""
    domain = as_object(doc.raw.get("datasetGroup")).get("domain")
    if domain not in domains.DOMAINS:
        return []
    problems = []
    for index, path, dataset in doc.entries("datasets"):
        kind = dataset.get("datasetType")
        if kind not in DATASET_TYPES:
            continue
        if isinstance(dataset.get("schema"), dict):
            problems += domains.schema_problems(domain, kind, dataset["schema"], f"{path}.schema")
        elif index in doc.loaded:
            where = f'{path}.schemaFile("{dataset.get("schemaFile")}")'
            problems += domains.schema_problems(domain, kind, doc.loaded[index], where)
    return problems


def _exploration_values(path: str, config: object) -> list[str]:
    if not isinstance(config, dict):
        return []
    problems, limits = [], {"explorationWeight": (0.0, 1.0), "explorationItemAgeCutOff": (0.0, float("inf"))}
    for key, (low, high) in limits.items():
        if key not in config:
            continue
        try:
            number = float(config[key])
        except (TypeError, ValueError):
            number = float("nan")
        if not low <= number <= high or (key == "explorationItemAgeCutOff" and number == 0):
            allowed = "a number from 0 to 1" if high == 1.0 else "a number of days > 0"
            problems.append(f"{path}.{key}: found {show(config[key])}; allowed: {allowed}")
    return problems


def _batch_jobs(doc: Doc) -> list[str]:
    problems = []
    locations = [
        (p, d["dataLocation"]) for _, p, d in doc.entries("datasets") if isinstance(d.get("dataLocation"), str)
    ]
    for _, path, job in [entry for key in BATCH_JOBS for entry in doc.entries(key)]:
        recipe = doc.recipe(job.get("solution"))
        if path.startswith("batchInferenceJobs") and recipe in recipes.NO_BATCH_INFERENCE:
            problems.append(f'{path}.solution: "{job["solution"]}" uses {recipe}, which has no batch inference')
        if path.startswith("batchInferenceJobs") and job.get("serving") is not None:
            problems += _batch_serving(doc, path, job)
        if path.startswith("batchInferenceJobs") and job.get("jobInput") is None:
            problems += _every_user(path, job, recipe)
        output = job.get("jobOutput")
        for data_path, location in locations:
            if isinstance(output, str) and location.endswith("/") and output.startswith(location):
                problems.append(
                    f"{path}.jobOutput: is inside {data_path}.dataLocation, so the next run would import the"
                    f" {'recommendations' if 'Inference' in path else 'user segments'} as training data; use"
                    " another prefix"
                )
    return problems


def _every_user(path: str, job: dict[str, Any], recipe: str | None) -> list[str]:
    """A job without jobInput answers every user: its input lines are {"userId": ...}, which only a
    USER_PERSONALIZATION recipe takes (developer guide, "Preparing input data for batch recommendations")."""
    if recipe is None or recipes.RECIPES.get(recipe) == "USER_PERSONALIZATION":
        return []
    return [
        f'{path}.jobInput: missing, so the job would answer every user ({{"userId": ...}} lines), but "'
        f'{job.get("solution")}" uses {recipe}, whose batch input is not a list of users; give jobInput (the file '
        "of lines the recipe takes)"
    ]


def _batch_serving(doc: Doc, path: str, job: dict[str, Any]) -> list[str]:
    """A served job answers /recommendations by user, under a name no campaign of the file uses."""
    problems = []
    recipe = doc.recipe(job.get("solution"))
    if recipe is not None and recipes.RECIPES.get(recipe) != "USER_PERSONALIZATION":
        problems.append(
            f'{path}.serving: "{job.get("solution")}" uses {recipe}, whose batch output is not keyed by user; '
            "batch serving answers /recommendations only (a USER_PERSONALIZATION recipe): remove serving"
        )
    if job.get("name") in {c.get("name") for _, _, c in doc.entries("campaigns")}:
        problems.append(
            f'{path}.name: "{job.get("name")}" is also a campaign; apps name both as <datasetGroup>/<name>: '
            "rename the job or the campaign"
        )
    serving = job.get("serving")
    names = serving.get("filters") if isinstance(serving, dict) else None
    expressions = {f.get("name"): f.get("filterExpression") for _, _, f in doc.entries("filters")}
    for n, name in enumerate(names if isinstance(names, list) else []):
        where = f"{path}.serving.filters[{n}]"
        if name not in expressions:
            known = suggest(name, [str(k) for k in expressions], "filters")
            problems.append(f'{where}: "{name}" is not a filter of this file{known}')
        elif isinstance(expressions[name], str):
            problems += [f'{where}: "{name}" {reason}' for reason in read_time_problems(str(expressions[name]))]
    return problems


SINCE_BATCH_FIELDS = frozenset({"EVENT_TYPE", "EVENT_VALUE"})  # what POST /events keeps of a batch-served event


def read_time_problems(expression: str) -> list[str]:
    """Why a filter cannot be applied to a batch list when it is read (empty when it can): item metadata is loaded
    beside the batch, and the user's events since the batch are those POST /events kept. A syntax error is reported
    where the filter is declared."""
    try:
        statements = parse_filter(expression)
    except FilterSyntaxError:
        return []
    problems = []
    for statement in statements:
        if statement.target != "ItemID":
            problems.append("is a UserID filter (it picks users for a segment, not items): serve it from a campaign")
        elif any(dataset == "Interactions" for dataset, _ in statement.where):
            fields = {field for dataset, field in statement.where if dataset == "Interactions"}
            if statement.action != "EXCLUDE" or not fields <= SINCE_BATCH_FIELDS:
                problems.append(
                    "reads Interactions in a way only the whole history answers; at read time only the events sent "
                    "through POST /events since the batch are known, so only EXCLUDE on Interactions.EVENT_TYPE or "
                    "EVENT_VALUE applies: give this one to the job as its filter (applied when the batch is "
                    "computed) or serve from a campaign"
                )
        if statement.condition:
            problems.append(
                "has an IF CurrentUser condition, and users' metadata is not loaded beside the batch: give it to "
                "the job as its filter or serve from a campaign"
            )
    return problems


def _polling(doc: Doc) -> list[str]:
    polling = doc.raw.get("polling")
    if not isinstance(polling, dict):
        return []
    initial, longest, total = (
        polling.get(k) for k in ("initialIntervalSeconds", "maxIntervalSeconds", "maxWaitSeconds")
    )
    problems = []
    if isinstance(initial, int) and isinstance(longest, int) and initial > longest:
        problems.append(f"polling.initialIntervalSeconds: {initial} is above maxIntervalSeconds {longest}; lower it")
    if isinstance(longest, int) and isinstance(total, int) and longest > total:
        problems.append(f"polling.maxIntervalSeconds: {longest} is above maxWaitSeconds {total}; lower it")
    return problems
