-- Version 26: trends. The periodic refresh replaces a kind's scored items as a whole; reviews
-- are the operator's decisions and outlive the items' scores (an item may be approved before
-- it trends). Scores are whole millionths, so both engines compare them exactly.

CREATE TABLE trends (
    kind         TEXT NOT NULL CHECK (kind IN ('tag', 'link', 'status')),
    item_id      BIGINT NOT NULL,
    score        BIGINT NOT NULL,
    max_score    BIGINT NOT NULL,
    max_score_at BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (kind, item_id)
);
CREATE INDEX trends_score ON trends (kind, score);

CREATE TABLE trend_reviews (
    kind        TEXT NOT NULL CHECK (kind IN ('tag', 'link', 'status')),
    item_id     BIGINT NOT NULL,
    approved    BOOLEAN NOT NULL,
    reviewed_at BIGINT NOT NULL,
    PRIMARY KEY (kind, item_id)
);

-- The refresh reads the statuses of the last days by time.
CREATE INDEX statuses_created ON statuses (created_at);
