"""Column names shared by every feature step (pass these, never string literals)."""

from __future__ import annotations

TIMESTAMP = "timestamp"
VISITOR = "visitorid"
EVENT = "event"
ITEM = "itemid"
TRANSACTION_ID = "transactionid"
SEQ = "seq"
SOURCE = "source"

EVENT_TIME = "event_time"  # timestamp as Spark TimestampType
SESSION = "session_id"  # visitor-local session number (0, 1, …)
SESSION_START = "session_start"

VIEW = "view"
ADDTOCART = "addtocart"
TRANSACTION = "transaction"
EVENT_TYPES = (VIEW, ADDTOCART, TRANSACTION)

CONFIDENCE = "confidence"
POPULARITY = "popularity"

# The original API's user_segmentation inputs (names kept exactly).
TOTAL_EVENTS = "total_events"
TOTAL_VIEWS = "total_views"
TOTAL_ADDTOCART = "total_addtocart"
TOTAL_TRANSACTIONS = "total_transactions"
DISTINCT_ITEMS = "distinct_items"
VIEW_RATIO = "view_ratio"
ADDTOCART_RATIO = "addtocart_ratio"
TRANSACTION_RATIO = "transaction_ratio"
SEGMENT_COUNTS = (TOTAL_EVENTS, TOTAL_VIEWS, TOTAL_ADDTOCART, TOTAL_TRANSACTIONS)
SEGMENT_FEATURES = (*SEGMENT_COUNTS, VIEW_RATIO, ADDTOCART_RATIO, TRANSACTION_RATIO)

# The original API's transaction_predictor inputs.
NUM_VIEWS = "num_views"
NUM_ADDTOCART = "num_addtocart"
DISTINCT_ITEMS_INTERACTED = "distinct_items_interacted"
REQUIRED_SESSION_FEATURES = (NUM_VIEWS, NUM_ADDTOCART, DISTINCT_ITEMS_INTERACTED)
LABEL = "label"
WEIGHT = "weight"
