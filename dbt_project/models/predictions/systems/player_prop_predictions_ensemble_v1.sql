{#- ensemble_v1: the weighted mean of the other systems' predictions of a
    player-game, weights renormalised over the systems that predicted it
    (weights: macros/prediction_systems.sql). A component system that failed
    is left out (on_error: continue), like one without a prediction. -#}
{%- set system = nba_pipeline.prediction_system('ensemble_v1') %}
{%- set components = nba_pipeline.prediction_systems() | selectattr('ensemble_weight') | list %}
{%- set component_relations = nba_pipeline.existing_prediction_system_relations(
    components | map(attribute='system_id') | list
) %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

component_predictions as (
    {%- if not component_relations %}
    -- no component system has a table yet (each failed on its first build)
    select
        cast(null as {{ dbt.type_string() }}) as game_id,
        cast(null as {{ dbt.type_bigint() }}) as player_id,
        cast(null as {{ dbt.type_string() }}) as system_id,
        cast(null as {{ dbt.type_numeric() }}) as predicted_points
    where 1 = 0
    {%- endif %}
    {%- for relation in component_relations %}
        select
            game_id,
            player_id,
            system_id,
            predicted_points
        from {{ relation }}
        where {{ in_run_range('game_date') }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ensemble_inputs as (
    select
        game_id,
        player_id,
        system_id,
        predicted_points,
        case system_id
            {%- for component in components %}
                when '{{ component.system_id }}' then cast({{ component.ensemble_weight }} as {{ dbt.type_numeric() }})
            {%- endfor %}
        end as weight
    from component_predictions
    where predicted_points is not null
),

ensemble_predictions as (
    select
        game_id,
        player_id,
        count(*) as components_used,
        {{ fixed(ratio('sum(weight * predicted_points)', 'sum(weight)'), 2) }} as predicted_points,
        max(predicted_points) - min(predicted_points) as component_spread
    from ensemble_inputs
    group by game_id, player_id
),

-- the confidence is lowered when the components disagree (their spread relative to
-- the prediction, at most halved)
rows_to_write as (
    select
        {{ nba_pipeline.prediction_system_columns(system,
            predicted_points='ensemble_predictions.predicted_points',
            confidence=fixed('inputs.base_confidence * (1 - coalesce('
                ~ clamp(ratio(
                    'ensemble_predictions.component_spread',
                    'case when ensemble_predictions.predicted_points > 5'
                    ~ ' then ensemble_predictions.predicted_points else 5 end'
                ), 0, 0.5)
                ~ ', 0))', 1),
            components_used='coalesce(ensemble_predictions.components_used, 0)') }}
    from inputs
    left join ensemble_predictions
        on ensemble_predictions.game_id = inputs.game_id
            and ensemble_predictions.player_id = inputs.player_id
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
{{ nba_pipeline.injected_failure(system.system_id) }}
