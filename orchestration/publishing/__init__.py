"""The published copy of the marts that BI tools read.

See the README section "BI tools: the published copy".
"""
