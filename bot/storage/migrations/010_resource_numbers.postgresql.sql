-- 010 on PostgreSQL: documents and projects numbered per initiative and kind, never a
-- number given twice (010_resource_numbers.sql). The numbering is a BEFORE INSERT
-- trigger here: the same rule, written in PL/pgSQL.
ALTER TABLE resources ADD COLUMN number bigint;

UPDATE resources SET number = numbered.n
  FROM (
    SELECT id, row_number() OVER (PARTITION BY initiative_id, kind ORDER BY id) AS n
      FROM resources
  ) AS numbered
 WHERE numbered.id = resources.id;

CREATE UNIQUE INDEX resources_number ON resources (initiative_id, kind, number);

CREATE TABLE resource_numbers (
    initiative_id bigint NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('document', 'project')),
    last_number bigint NOT NULL,
    PRIMARY KEY (initiative_id, kind)
);

INSERT INTO resource_numbers (initiative_id, kind, last_number)
SELECT initiative_id, kind, max(number) FROM resources GROUP BY initiative_id, kind;

CREATE FUNCTION resources_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.number IS NULL THEN
        INSERT INTO resource_numbers AS r (initiative_id, kind, last_number)
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
        DO UPDATE SET last_number = greatest(r.last_number + 1, excluded.last_number)
        RETURNING r.last_number INTO NEW.number;
    ELSE
        INSERT INTO resource_numbers AS r (initiative_id, kind, last_number)
        VALUES (NEW.initiative_id, NEW.kind, NEW.number)
        ON CONFLICT (initiative_id, kind)
        DO UPDATE SET last_number = greatest(r.last_number, excluded.last_number);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER resources_number BEFORE INSERT ON resources
    FOR EACH ROW EXECUTE FUNCTION resources_number();
