"""Aggregated statistics for strategic monitoring and planning.

``aggregates`` turns one period's alerts and actions into frozen summaries (pure, no clock, no
store); ``source`` reads that period from the store on a worker thread; ``export`` writes each
summary as CSV. The diagrams dialog in ``widgets/`` only draws what these return.
"""

from app.stats.aggregates import (
    AckDistribution,
    CategoryCounts,
    Granularity,
    HeatCell,
    LocationHeat,
    StatsInput,
    StatsReport,
    TopSources,
    ack_distribution,
    category_counts,
    heat_cell,
    location_heat,
    summarise,
    system_zone,
    top_sources,
)

__all__ = [
    "AckDistribution",
    "CategoryCounts",
    "Granularity",
    "HeatCell",
    "LocationHeat",
    "StatsInput",
    "StatsReport",
    "TopSources",
    "ack_distribution",
    "category_counts",
    "heat_cell",
    "location_heat",
    "summarise",
    "system_zone",
    "top_sources",
]
