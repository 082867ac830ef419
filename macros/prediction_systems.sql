{#-
  Phase 5's prediction systems: one model each (models/predictions/systems),
  unioned into player_prop_predictions. The one list of them: the union, the
  ensemble and the Phase 5 tests read it here.

  - system_id / version: what the system's rows carry (the trained model's
    version comes from its own rows).
  - ensemble_weight: the system's weight in ensemble_v1 (renormalised over the
    systems that predicted a row); none for the ensemble itself.
  - always_on: the system predicts every player-game (the trained model has no
    rows for a season without an earlier season, or when its step failed).
-#}
{% macro prediction_systems() -%}
    {{ return([
        {'system_id': 'moving_average', 'version': 'v1', 'ensemble_weight': '0.20', 'always_on': true},
        {'system_id': 'zone_matchup_v1', 'version': 'v1', 'ensemble_weight': '0.25', 'always_on': true},
        {'system_id': 'similarity_balanced_v1', 'version': 'v1', 'ensemble_weight': '0.20', 'always_on': true},
        {'system_id': 'gradient_boosting_v1', 'version': none, 'ensemble_weight': '0.35', 'always_on': false},
        {'system_id': 'ensemble_v1', 'version': 'v1', 'ensemble_weight': none, 'always_on': true},
    ]) }}
{%- endmacro %}


{#- The model holding one system's rows. -#}
{% macro prediction_system_model(system_id) -%}
    {{ return('player_prop_predictions_' ~ system_id) }}
{%- endmacro %}


{% macro prediction_system(system_id) -%}
    {%- for system in nba_pipeline.prediction_systems() if system.system_id == system_id -%}
        {{ return(system) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error('unknown prediction system ' ~ system_id ~ ': see macros/prediction_systems.sql') }}
{%- endmacro %}


{#-
  The columns of a system model's rows, in order (the union reads them): the
  player-game from `inputs` (int_player_prop_predictions__inputs), the system's
  identity from the list above unless given as SQL, its prediction and confidence.
-#}
{% macro prediction_system_columns(system, predicted_points, confidence='inputs.base_confidence',
                                   components_used=none, system_id=none, system_version=none, model_id=none) -%}
        inputs.game_id,
        inputs.game_date,
        inputs.player_id,
        {{ system_id or "'" ~ system.system_id ~ "'" }} as system_id,
        {{ system_version or "'" ~ system.version ~ "'" }} as system_version,
        {{ model_id or 'cast(null as ' ~ dbt.type_string() ~ ')' }} as model_id,
        {{ predicted_points }} as predicted_points,
        {{ confidence }} as confidence,
        {{ components_used or 'cast(null as ' ~ dbt.type_bigint() ~ ')' }} as components_used
{%- endmacro %}


{#-
  The system models that exist in the warehouse, as relations, among `system_ids`.
  A system model is configured `on_error: continue`, so a failing system does
  not skip the models that combine the systems (the ensemble, the union); those
  read the systems that have a table and leave a failed one out (a system that
  failed on its very first build has none). Outside a run or build (parse,
  compile, docs) and in a unit test (whose inputs are fixtures, not tables),
  every system is listed.
-#}
{% macro existing_prediction_system_relations(system_ids) -%}
    {%- set relations = [] -%}
    {%- for system_id in system_ids -%}
        {%- set relation = ref(nba_pipeline.prediction_system_model(system_id)) -%}
        {%- if not execute or flags.WHICH not in ['run', 'build'] or nba_pipeline.in_unit_test()
              or load_relation(relation) is not none -%}
            {%- do relations.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro %}


{#-
  Pre-hook of every system model: delete the system's rows of the run's dates
  before building them, outside the build's transaction. A system whose build
  then fails leaves its rows of those dates missing (the Phase 5 gates name it),
  never stale rows of an earlier build that the union would pass on as current.
-#}
{% macro clear_run_range() -%}
    {%- if execute and load_relation(this) is not none -%}
        delete from {{ this }} where {{ nba_pipeline.in_run_range('game_date') }}
    {%- endif -%}
{%- endmacro %}


{#-
  A failure injected into one system model, for tests: `--vars '{fail_system: <system_id>}'`
  makes that system's query raise a database error (after its pre-hook ran, as a real
  failure would). Empty for every other run.
-#}
{% macro injected_failure(system_id) -%}
    {%- if var('fail_system', none) == system_id -%}
        where (select error('injected failure of prediction system {{ system_id }} (var fail_system)')) is null
    {%- endif -%}
{%- endmacro %}
