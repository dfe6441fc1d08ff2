namespace Webhooks.Sqlite.Schema;

/// <summary>
/// The schema, one numbered step at a time: a file records the steps applied in <c>schema_version</c>,
/// so a later version of this package appends a step and migrates existing files. Never edit a shipped step.
/// Times are <see cref="DateTimeOffset.UtcTicks"/> (lossless, ordered); statuses are <c>WebhookDeliveryStatus</c> values.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly string[] Steps =
    [
        """
        CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY,
            owner TEXT,
            name TEXT NOT NULL,
            active INTEGER NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL -- the whole subscription as JSON, secrets already protected by the engine
        );
        -- Names are unique per owner; "owner IS NULL" keeps the ownerless apart from an owner named ''.
        CREATE UNIQUE INDEX subscriptions_owner_name ON subscriptions (owner IS NULL, ifnull(owner, ''), name);
        CREATE INDEX subscriptions_owner_id ON subscriptions (owner, id);

        -- One row per listed event name or pattern: FindForEvent is an index lookup, never a scan.
        CREATE TABLE subscription_events (
            owner TEXT,
            pattern TEXT NOT NULL,
            subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE
        );
        CREATE INDEX subscription_events_lookup ON subscription_events (owner, pattern, subscription_id);
        CREATE INDEX subscription_events_subscription ON subscription_events (subscription_id);

        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            event_type TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            owner TEXT,
            idempotency_key TEXT,
            idempotency_expires_at INTEGER,
            payload BLOB NOT NULL
        );
        CREATE INDEX messages_idempotency ON messages (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX messages_created ON messages (created_at);

        -- A delivery outlives its subscription (the log keeps it), so subscription_id has no foreign key.
        CREATE TABLE deliveries (
            id TEXT PRIMARY KEY,
            message_id TEXT NOT NULL REFERENCES messages (id),
            subscription_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            owner TEXT,
            status INTEGER NOT NULL, -- 0 pending, 1 succeeded, 2 failed
            attempt_count INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            due INTEGER, -- pending: when it may be leased (the lease's expiry while leased); NULL when finished
            lease_id TEXT,
            last_attempt_at INTEGER,
            last_status_code INTEGER,
            last_error TEXT
        );
        CREATE INDEX deliveries_due ON deliveries (status, due);
        CREATE INDEX deliveries_owner ON deliveries (owner, id);
        CREATE INDEX deliveries_subscription ON deliveries (subscription_id, id);
        CREATE INDEX deliveries_message ON deliveries (message_id);
        CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE status <> 0;

        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
            subscription_id TEXT NOT NULL,
            owner TEXT,
            number INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            duration INTEGER NOT NULL,
            status_code INTEGER,
            response_excerpt TEXT,
            error_kind INTEGER NOT NULL,
            error TEXT
        );
        CREATE INDEX attempts_delivery ON attempts (delivery_id);
        CREATE INDEX attempts_owner ON attempts (owner, started_at);
        CREATE INDEX attempts_subscription ON attempts (subscription_id, started_at);
        """,
        """
        -- The W3C trace context of the publish, so an attempt sent after a restart still links to it.
        ALTER TABLE messages ADD COLUMN trace_parent TEXT;
        ALTER TABLE messages ADD COLUMN trace_state TEXT;
        """,
        """
        -- An ordered subscription's deliveries carry the publish's ordering key: one with a key is leased only
        -- when no pending delivery of its subscription and key was enqueued before it (rowid order).
        ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
        CREATE INDEX deliveries_ordering ON deliveries (subscription_id, ordering_key) WHERE status = 0 AND ordering_key IS NOT NULL;
        """,
    ];
}
