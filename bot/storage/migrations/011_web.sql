-- Agora's public web pages (bot/web/): which guilds an admin published, which members
-- agreed to be named there, and the revision of each meeting as the calendar feeds
-- last served it. Instants are Unix seconds.

-- A guild's directory, meetings and calendars are on the web only while it has a row
-- here (/admin web on); /admin web off deletes it.
CREATE TABLE web_published_guilds (
    guild_id INTEGER PRIMARY KEY,
    published_at INTEGER NOT NULL
);

-- Members who agreed to have their name shown on the web pages (/privacy web
-- show-name on); everyone else is a count. /privacy forget deletes the row.
CREATE TABLE web_name_optins (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    opted_in_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- The calendar feeds' SEQUENCE per meeting: ``fingerprint`` is a hash of everything a
-- feed says about the meeting (times, text, place, status, programme, moved and
-- cancelled dates); when it changes, ``sequence`` goes up by one and ``changed_at``
-- (the feed's Last-Modified) is set.
CREATE TABLE web_meeting_revisions (
    meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    changed_at INTEGER NOT NULL
);
