-- Anonymous usage counters: one row per (time bucket, platform, community,
-- metric, key). Nothing here can say what a person wrote or who they are: there
-- is no column for text, user, private chat or session.
--
-- bucket is the Unix time (UTC) at which the bucket starts; span is its length in
-- seconds: 3600 for hourly rows, 86400 for the daily rows that old hourly rows
-- are rolled up into (see Options.Retention).
CREATE TABLE counts (
	bucket    INTEGER NOT NULL,
	span      INTEGER NOT NULL CHECK (span IN (3600, 86400)),
	platform  TEXT    NOT NULL,
	community TEXT    NOT NULL,
	metric    TEXT    NOT NULL,
	key       TEXT    NOT NULL,
	count     INTEGER NOT NULL CHECK (count >= 0),
	PRIMARY KEY (span, bucket, platform, community, metric, key)
) WITHOUT ROWID;
