with source as (
    select * from {{ source('nba_orchestration', 'source_date_versions') }}
),

final as (
    select
        source_table,
        game_date,
        row_count,
        content_version,
        written_at
    from source
)

select * from final
