"""Constants of the landing-file source."""

# Rows shaped at a time: bounds the memory of one step whatever the size of a file.
BATCH_ROWS = 500_000
# Rows per Arrow record batch handed to DuckDB, which scans one record batch per thread.
SCAN_CHUNK_ROWS = 20_000

# Internal column names used while a batch is shaped; never reach the warehouse.
ROW_COLUMN = "__row_number"
JSON_LINE_COLUMN = "__json_line"

# Lineage columns on every raw row.
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_ROW_COLUMN = "_source_row"
INGESTED_AT_COLUMN = "_ingested_at"
LINEAGE_COLUMNS = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, INGESTED_AT_COLUMN)

# Shared tables of every raw dataset.
QUARANTINE_TABLE = "quarantined_rows"
LEDGER_TABLE = "loaded_files"

ACTION_ROW_QUARANTINED = "row_quarantined"
ACTION_VALUE_NULLED = "value_nulled"

# Dates and timestamps outside these years are treated as impossible (typos such as 0199 or 2202).
MIN_YEAR = 1900
MAX_YEAR = 2100

# Amounts and prices: DECIMAL(18, 4) in every warehouse.
DECIMAL_PRECISION = 18
DECIMAL_SCALE = 4
