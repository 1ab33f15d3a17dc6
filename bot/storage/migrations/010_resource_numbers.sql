-- Documents and projects are numbered per initiative and per kind, from 1: the first
-- project of an initiative is "Project #1" whatever else the server holds. A number is
-- never given twice: resource_numbers keeps the highest ever given, so a removed #3
-- stays unused and "#3" always means the same item.
ALTER TABLE resources ADD COLUMN number INTEGER;  -- NULL only while its insert runs

-- Existing items keep the order they were added in.
UPDATE resources SET number = (
    SELECT numbered.n FROM (
        SELECT id, row_number() OVER (PARTITION BY initiative_id, kind ORDER BY id) AS n
          FROM resources
    ) AS numbered
     WHERE numbered.id = resources.id
);

CREATE UNIQUE INDEX resources_number ON resources (initiative_id, kind, number);

CREATE TABLE resource_numbers (
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('document', 'project')),
    last_number INTEGER NOT NULL,  -- the highest number ever given; the next is one more
    PRIMARY KEY (initiative_id, kind)
) WITHOUT ROWID;

INSERT INTO resource_numbers (initiative_id, kind, last_number)
SELECT initiative_id, kind, max(number) FROM resources GROUP BY initiative_id, kind;

-- Every insert is numbered in its own statement, so two inserts at once can never take
-- the same number: one more than both the highest number listed and the highest ever
-- given.
CREATE TRIGGER resources_number_next AFTER INSERT ON resources WHEN NEW.number IS NULL
BEGIN
    INSERT INTO resource_numbers (initiative_id, kind, last_number)
    VALUES (
        NEW.initiative_id,
        NEW.kind,
        coalesce(
            (SELECT max(number) FROM resources
              WHERE initiative_id = NEW.initiative_id AND kind = NEW.kind),
            0
        ) + 1
    )
    ON CONFLICT (initiative_id, kind)
    DO UPDATE SET last_number = max(last_number + 1, excluded.last_number);
    UPDATE resources SET number = (
        SELECT last_number FROM resource_numbers
         WHERE initiative_id = NEW.initiative_id AND kind = NEW.kind
    )
     WHERE id = NEW.id;
END;

-- A number given explicitly raises the high-water mark too.
CREATE TRIGGER resources_number_given AFTER INSERT ON resources WHEN NEW.number IS NOT NULL
BEGIN
    INSERT INTO resource_numbers (initiative_id, kind, last_number)
    VALUES (NEW.initiative_id, NEW.kind, NEW.number)
    ON CONFLICT (initiative_id, kind)
    DO UPDATE SET last_number = max(last_number, excluded.last_number);
END;
