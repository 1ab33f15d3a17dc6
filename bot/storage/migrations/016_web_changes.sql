-- 016: what Agora's public pages show, counted per guild, for a web process of its own
-- (python run_bot.py web). Every write to a table the pages read bumps its guild's counter
-- of that area in the same transaction, by a trigger, so no write path can forget it; the
-- web process reads this small table about once a second and refreshes only what moved
-- (the directory, the meetings' kept lists, the discussion counts, the published guilds
-- and who agreed to be named). The bot processes never read it.
CREATE TABLE web_changes (
    guild_id INTEGER PRIMARY KEY,
    directory INTEGER NOT NULL DEFAULT 0,
    meetings INTEGER NOT NULL DEFAULT 0,
    discussions INTEGER NOT NULL DEFAULT 0,
    web INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER web_changes_clusters_insert AFTER INSERT ON clusters BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_clusters_update AFTER UPDATE ON clusters BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_clusters_delete AFTER DELETE ON clusters BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_initiatives_insert AFTER INSERT ON initiatives BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_initiatives_update AFTER UPDATE ON initiatives BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_initiatives_delete AFTER DELETE ON initiatives BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_memberships_insert AFTER INSERT ON memberships BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_memberships_update AFTER UPDATE ON memberships BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_memberships_delete AFTER DELETE ON memberships BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_resources_insert AFTER INSERT ON resources BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_resources_update AFTER UPDATE ON resources BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_resources_delete AFTER DELETE ON resources BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_initiative_pitches_insert AFTER INSERT ON initiative_pitches BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_initiative_pitches_update AFTER UPDATE ON initiative_pitches BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_initiative_pitches_delete AFTER DELETE ON initiative_pitches BEGIN
    INSERT INTO web_changes (guild_id, directory) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET directory = web_changes.directory + 1;
END;

CREATE TRIGGER web_changes_meetings_insert AFTER INSERT ON meetings BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meetings_update AFTER UPDATE ON meetings BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meetings_delete AFTER DELETE ON meetings BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_sessions_insert AFTER INSERT ON meeting_sessions BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_sessions_update AFTER UPDATE ON meeting_sessions BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_sessions_delete AFTER DELETE ON meeting_sessions BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_exceptions_insert AFTER INSERT ON meeting_exceptions BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_exceptions_update AFTER UPDATE ON meeting_exceptions BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_exceptions_delete AFTER DELETE ON meeting_exceptions BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_rsvps_insert AFTER INSERT ON meeting_rsvps BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_rsvps_update AFTER UPDATE ON meeting_rsvps BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_rsvps_delete AFTER DELETE ON meeting_rsvps BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_scopes_insert AFTER INSERT ON meeting_scopes BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_scopes_update AFTER UPDATE ON meeting_scopes BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_scopes_delete AFTER DELETE ON meeting_scopes BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_recurrences_insert AFTER INSERT ON meeting_recurrences BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_recurrences_update AFTER UPDATE ON meeting_recurrences BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_meeting_recurrences_delete AFTER DELETE ON meeting_recurrences BEGIN
    INSERT INTO web_changes (guild_id, meetings) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET meetings = web_changes.meetings + 1;
END;

CREATE TRIGGER web_changes_discussions_insert AFTER INSERT ON discussions BEGIN
    INSERT INTO web_changes (guild_id, discussions) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET discussions = web_changes.discussions + 1;
END;

CREATE TRIGGER web_changes_discussions_update AFTER UPDATE ON discussions BEGIN
    INSERT INTO web_changes (guild_id, discussions) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET discussions = web_changes.discussions + 1;
END;

CREATE TRIGGER web_changes_discussions_delete AFTER DELETE ON discussions BEGIN
    INSERT INTO web_changes (guild_id, discussions) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET discussions = web_changes.discussions + 1;
END;

CREATE TRIGGER web_changes_web_published_guilds_insert AFTER INSERT ON web_published_guilds BEGIN
    INSERT INTO web_changes (guild_id, web) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = web_changes.web + 1;
END;

CREATE TRIGGER web_changes_web_published_guilds_update AFTER UPDATE ON web_published_guilds BEGIN
    INSERT INTO web_changes (guild_id, web) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = web_changes.web + 1;
END;

CREATE TRIGGER web_changes_web_published_guilds_delete AFTER DELETE ON web_published_guilds BEGIN
    INSERT INTO web_changes (guild_id, web) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = web_changes.web + 1;
END;

CREATE TRIGGER web_changes_web_name_optins_insert AFTER INSERT ON web_name_optins BEGIN
    INSERT INTO web_changes (guild_id, web) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = web_changes.web + 1;
END;

CREATE TRIGGER web_changes_web_name_optins_update AFTER UPDATE ON web_name_optins BEGIN
    INSERT INTO web_changes (guild_id, web) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = web_changes.web + 1;
END;

CREATE TRIGGER web_changes_web_name_optins_delete AFTER DELETE ON web_name_optins BEGIN
    INSERT INTO web_changes (guild_id, web) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET web = web_changes.web + 1;
END;
