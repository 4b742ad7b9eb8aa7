"""Dagster metadata of the analysis marts (sessions, funnel, cohorts, value, recommendations)."""
