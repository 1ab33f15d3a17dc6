-- 016 on PostgreSQL (016_web_changes.sql): the same counters, the triggers in PL/pgSQL.
-- 016: what Agora's public pages show, counted per guild, for a web process of its own
-- (python run_bot.py web). Every write to a table the pages read bumps its guild's counter
-- of that area in the same transaction, by a trigger, so no write path can forget it; the
-- web process reads this small table about once a second and refreshes only what moved
-- (the directory, the meetings' kept lists, the discussion counts, the published guilds
-- and who agreed to be named). The bot processes never read it.
CREATE TABLE web_changes (
    guild_id bigint PRIMARY KEY,
    directory bigint NOT NULL DEFAULT 0,
    meetings bigint NOT NULL DEFAULT 0,
    discussions bigint NOT NULL DEFAULT 0,
    web bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION web_changes_directory() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    guild bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        guild := OLD.guild_id;
    ELSE
        guild := NEW.guild_id;
    END IF;
    INSERT INTO web_changes AS c (guild_id, directory) VALUES (guild, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = c.directory + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER web_changes_clusters AFTER INSERT OR UPDATE OR DELETE ON clusters
    FOR EACH ROW EXECUTE FUNCTION web_changes_directory();

CREATE TRIGGER web_changes_initiatives AFTER INSERT OR UPDATE OR DELETE ON initiatives
    FOR EACH ROW EXECUTE FUNCTION web_changes_directory();

CREATE TRIGGER web_changes_memberships AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION web_changes_directory();

CREATE TRIGGER web_changes_resources AFTER INSERT OR UPDATE OR DELETE ON resources
    FOR EACH ROW EXECUTE FUNCTION web_changes_directory();

CREATE TRIGGER web_changes_initiative_pitches AFTER INSERT OR UPDATE OR DELETE ON initiative_pitches
    FOR EACH ROW EXECUTE FUNCTION web_changes_directory();

CREATE FUNCTION web_changes_meetings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    guild bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        guild := OLD.guild_id;
    ELSE
        guild := NEW.guild_id;
    END IF;
    INSERT INTO web_changes AS c (guild_id, meetings) VALUES (guild, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = c.meetings + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER web_changes_meetings AFTER INSERT OR UPDATE OR DELETE ON meetings
    FOR EACH ROW EXECUTE FUNCTION web_changes_meetings();

CREATE TRIGGER web_changes_meeting_sessions AFTER INSERT OR UPDATE OR DELETE ON meeting_sessions
    FOR EACH ROW EXECUTE FUNCTION web_changes_meetings();

CREATE TRIGGER web_changes_meeting_exceptions AFTER INSERT OR UPDATE OR DELETE ON meeting_exceptions
    FOR EACH ROW EXECUTE FUNCTION web_changes_meetings();

CREATE TRIGGER web_changes_meeting_rsvps AFTER INSERT OR UPDATE OR DELETE ON meeting_rsvps
    FOR EACH ROW EXECUTE FUNCTION web_changes_meetings();

CREATE TRIGGER web_changes_meeting_scopes AFTER INSERT OR UPDATE OR DELETE ON meeting_scopes
    FOR EACH ROW EXECUTE FUNCTION web_changes_meetings();

CREATE TRIGGER web_changes_meeting_recurrences AFTER INSERT OR UPDATE OR DELETE ON meeting_recurrences
    FOR EACH ROW EXECUTE FUNCTION web_changes_meetings();

CREATE FUNCTION web_changes_discussions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    guild bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        guild := OLD.guild_id;
    ELSE
        guild := NEW.guild_id;
    END IF;
    INSERT INTO web_changes AS c (guild_id, discussions) VALUES (guild, 1)
    ON CONFLICT (guild_id) DO UPDATE SET discussions = c.discussions + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER web_changes_discussions AFTER INSERT OR UPDATE OR DELETE ON discussions
    FOR EACH ROW EXECUTE FUNCTION web_changes_discussions();

CREATE FUNCTION web_changes_web() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    guild bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        guild := OLD.guild_id;
    ELSE
        guild := NEW.guild_id;
    END IF;
    INSERT INTO web_changes AS c (guild_id, web) VALUES (guild, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = c.web + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER web_changes_web_published_guilds AFTER INSERT OR UPDATE OR DELETE ON web_published_guilds
    FOR EACH ROW EXECUTE FUNCTION web_changes_web();

CREATE TRIGGER web_changes_web_name_optins AFTER INSERT OR UPDATE OR DELETE ON web_name_optins
    FOR EACH ROW EXECUTE FUNCTION web_changes_web();
