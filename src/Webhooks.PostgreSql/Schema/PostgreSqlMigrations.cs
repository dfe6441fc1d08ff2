namespace Webhooks.PostgreSql.Schema;

/// <summary>
/// The schema's versions, applied in order and recorded in <c>{schema}.migrations</c>. Never edit a
/// shipped migration: add the next one. <c>{s}</c> stands for the quoted schema name. Ids, names and
/// keys use the "C" collation so they sort and compare byte-wise (ordinal) on any cluster.
/// </summary>
internal static class PostgreSqlMigrations
{
    public static IReadOnlyList<(int Version, string Description, string Sql)> All { get; } =
    [
        (1, "subscriptions, delivery queue, attempt log, stats, health, idempotency keys", """
            CREATE TABLE {s}.subscriptions (
                id text COLLATE "C" PRIMARY KEY,
                owner text COLLATE "C",
                owner_key text COLLATE "C" GENERATED ALWAYS AS (coalesce(owner, '')) STORED,
                name text COLLATE "C" NOT NULL,
                url text NOT NULL,
                events text[] NOT NULL,
                -- "pattern|owner" per listed event: one GIN lookup finds an owner's subscribers of an event.
                event_keys text[] NOT NULL,
                description text,
                secrets jsonb NOT NULL,
                signature_scheme text,
                auth jsonb NOT NULL,
                headers jsonb NOT NULL,
                metadata jsonb NOT NULL,
                active boolean NOT NULL,
                disabled_reason text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                version bigint NOT NULL
            );
            CREATE UNIQUE INDEX subscriptions_owner_name ON {s}.subscriptions (owner_key, name);
            CREATE INDEX subscriptions_owner_id ON {s}.subscriptions (owner_key, id);
            CREATE INDEX subscriptions_event_keys ON {s}.subscriptions USING gin (event_keys);

            CREATE TABLE {s}.messages (
                id text COLLATE "C" PRIMARY KEY,
                event_type text NOT NULL,
                "timestamp" timestamptz NOT NULL,
                owner text,
                idempotency_key text,
                idempotency_expires_at timestamptz,
                payload bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX messages_created_at ON {s}.messages (created_at);

            CREATE TABLE {s}.idempotency_keys (
                owner_key text COLLATE "C" NOT NULL,
                key text COLLATE "C" NOT NULL,
                message_id text COLLATE "C" NOT NULL,
                delivery_count integer NOT NULL,
                expires_at timestamptz NOT NULL,
                PRIMARY KEY (owner_key, key)
            );
            CREATE INDEX idempotency_keys_expires_at ON {s}.idempotency_keys (expires_at);

            CREATE TABLE {s}.deliveries (
                id text COLLATE "C" PRIMARY KEY,
                message_id text COLLATE "C" NOT NULL REFERENCES {s}.messages (id) ON DELETE CASCADE,
                subscription_id text COLLATE "C" NOT NULL,
                event_type text NOT NULL,
                status smallint NOT NULL,
                attempt_count integer NOT NULL,
                created_at timestamptz NOT NULL,
                next_attempt_at timestamptz,
                last_attempt_at timestamptz,
                last_status_code integer,
                last_error text,
                lease_id text,
                lease_expires_at timestamptz
            );
            -- Leasing: pending deliveries by the time they are due (a held lease's expiry, else the next attempt).
            CREATE INDEX deliveries_due ON {s}.deliveries ((coalesce(lease_expires_at, next_attempt_at)), id) WHERE status = 0;
            CREATE INDEX deliveries_subscription ON {s}.deliveries (subscription_id, id);
            CREATE INDEX deliveries_subscription_status ON {s}.deliveries (subscription_id, status, id);
            CREATE INDEX deliveries_message ON {s}.deliveries (message_id);

            CREATE TABLE {s}.attempts (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery_id text COLLATE "C" NOT NULL REFERENCES {s}.deliveries (id) ON DELETE CASCADE,
                number integer NOT NULL,
                started_at timestamptz NOT NULL,
                duration interval NOT NULL,
                status_code integer,
                response_excerpt text,
                error_kind smallint NOT NULL,
                error text
            );
            CREATE INDEX attempts_delivery ON {s}.attempts (delivery_id, seq);
            CREATE INDEX attempts_started_at ON {s}.attempts (started_at);

            -- Attempt counts per subscription and minute (unix minutes), for the stats endpoint.
            CREATE TABLE {s}.stats (
                subscription_id text COLLATE "C" NOT NULL,
                minute bigint NOT NULL,
                succeeded integer NOT NULL,
                failed integer NOT NULL,
                PRIMARY KEY (subscription_id, minute)
            );
            CREATE INDEX stats_minute ON {s}.stats (minute);

            -- A row exists while every attempt to the subscription since failing_since has failed.
            CREATE TABLE {s}.health (
                subscription_id text COLLATE "C" PRIMARY KEY,
                failing_since timestamptz NOT NULL,
                failures bigint NOT NULL
            );
            """),
        (2, "subscription attribute filters", """
            ALTER TABLE {s}.subscriptions ADD COLUMN filter jsonb NOT NULL DEFAULT '{}'::jsonb;
            """),
        (3, "engine v2: failing_since on subscriptions (health table dropped), owner on deliveries and attempts, stats counted from attempts (stats table dropped), retention by delivery", """
            -- Health is the engine's now: the store keeps only "failing since" on the subscription.
            ALTER TABLE {s}.subscriptions ADD COLUMN failing_since timestamptz;
            UPDATE {s}.subscriptions AS s SET failing_since = h.failing_since FROM {s}.health AS h WHERE h.subscription_id = s.id;
            DROP TABLE {s}.health;

            -- Statistics are counted from the attempts themselves.
            DROP TABLE {s}.stats;

            -- Deliveries carry their message's owner, so the log is read per owner.
            ALTER TABLE {s}.deliveries ADD COLUMN owner text COLLATE "C";
            UPDATE {s}.deliveries AS d SET owner = m.owner FROM {s}.messages AS m WHERE m.id = d.message_id AND m.owner IS NOT NULL;
            CREATE INDEX deliveries_owner ON {s}.deliveries (owner, id);
            CREATE INDEX deliveries_owner_status ON {s}.deliveries (owner, status, id);
            -- Retention takes finished deliveries oldest first.
            CREATE INDEX deliveries_finished ON {s}.deliveries (created_at) WHERE status <> 0;

            -- Attempts carry owner and subscription for the stats query. Attempts that v1 recorded for an
            -- unavailable subscription (error kind 5: nothing was sent) were never counted: they keep no
            -- subscription_id, which the stats query requires, so they stay in the log and out of the counts.
            ALTER TABLE {s}.attempts ADD COLUMN subscription_id text COLLATE "C", ADD COLUMN owner text COLLATE "C";
            UPDATE {s}.attempts AS a SET subscription_id = d.subscription_id, owner = d.owner
                FROM {s}.deliveries AS d WHERE d.id = a.delivery_id AND a.error_kind <> 5;
            DROP INDEX {s}.attempts_started_at;
            CREATE INDEX attempts_owner_started ON {s}.attempts (owner, started_at) WHERE subscription_id IS NOT NULL;
            CREATE INDEX attempts_subscription_started ON {s}.attempts (subscription_id, started_at);

            -- A message whose deliveries are all gone (or that never had any) while its idempotency key
            -- still holds is marked empty; retention removes it once the key has expired.
            ALTER TABLE {s}.messages ADD COLUMN empty boolean NOT NULL DEFAULT false;
            UPDATE {s}.messages AS m SET empty = true WHERE NOT EXISTS (SELECT 1 FROM {s}.deliveries AS d WHERE d.message_id = m.id);
            DROP INDEX {s}.messages_created_at;
            CREATE INDEX messages_empty ON {s}.messages (created_at) WHERE empty;
            """),
        (4, "subscription payload filters", """
            -- The filter's compact JSON text, kept as given (text, not jsonb, which would reorder its keys); null for none.
            ALTER TABLE {s}.subscriptions ADD COLUMN payload_filter text;
            """),
        (5, "message trace context", """
            -- The W3C trace context of the publish, so an attempt sent later by any instance links to it.
            ALTER TABLE {s}.messages ADD COLUMN trace_parent text, ADD COLUMN trace_state text;
            """),
        (6, "rate limits and ordered delivery", """
            ALTER TABLE {s}.subscriptions ADD COLUMN rate_limit integer, ADD COLUMN ordered boolean NOT NULL DEFAULT false;

            -- An ordered subscription's deliveries carry the publish's ordering key and an enqueue sequence:
            -- one with a key is leased only when no pending delivery of its subscription and key precedes it.
            ALTER TABLE {s}.deliveries ADD COLUMN ordering_key text COLLATE "C", ADD COLUMN ordering_seq bigint;
            CREATE SEQUENCE {s}.deliveries_ordering_seq;
            CREATE INDEX deliveries_ordering ON {s}.deliveries (subscription_id, ordering_key, ordering_seq)
                WHERE status = 0 AND ordering_key IS NOT NULL;

            -- One row per rate-limited subscription: its theoretical arrival time (GCRA), shared by every instance.
            CREATE TABLE {s}.rate_limits (
                subscription_id text COLLATE "C" PRIMARY KEY,
                tat timestamptz NOT NULL
            );
            """),
        (7, "leasing in a function with a cached generic plan", """
            -- Leasing, as one statement in a function so its plan is made once per connection and kept
            -- (generic): planning the statement on every call cost about as much as running it. The leased
            -- rows are updated through their primary key (id = ANY), so the generic plan stays an index
            -- lookup whatever the batch size. Rules as before: due pending rows, oldest first, a row with
            -- an ordering key only when no pending row of its subscription and key precedes it, rows other
            -- leases hold skipped (SKIP LOCKED); each lease id is the call's prefix plus the delivery id;
            -- the payload travels once per message. Due times and expiry are on the database's clock.
            CREATE FUNCTION {s}.lease(max_count integer, lease_prefix text, duration interval)
            RETURNS TABLE (
                id text, message_id text, subscription_id text, event_type text, attempt_count integer, created_at timestamptz,
                last_attempt_at timestamptz, last_status_code integer, last_error text, due_at timestamptz,
                message_event_type text, message_timestamp timestamptz, message_owner text, idempotency_key text, idempotency_expires_at timestamptz,
                payload bytea, owner text, lease_id text, lease_expires_at timestamptz, message_created_at timestamptz,
                trace_parent text, trace_state text, ordering_key text)
            LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan
            AS $lease$
            #variable_conflict use_column
            BEGIN
                RETURN QUERY
                WITH due AS (
                    SELECT d.id, coalesce(d.lease_expires_at, d.next_attempt_at) AS due_at
                    FROM {s}.deliveries AS d
                    WHERE d.status = 0 AND coalesce(d.lease_expires_at, d.next_attempt_at) <= statement_timestamp()
                      AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM {s}.deliveries AS e WHERE e.subscription_id = d.subscription_id
                           AND e.ordering_key = d.ordering_key AND e.status = 0 AND e.ordering_seq < d.ordering_seq))
                    ORDER BY coalesce(d.lease_expires_at, d.next_attempt_at), d.id
                    LIMIT max_count
                    FOR UPDATE SKIP LOCKED
                ), leased AS (
                    UPDATE {s}.deliveries AS d
                    SET lease_id = lease_prefix || d.id, lease_expires_at = statement_timestamp() + duration
                    WHERE d.id = ANY (ARRAY(SELECT due.id FROM due))
                    RETURNING d.id, d.message_id, d.subscription_id, d.event_type, d.attempt_count, d.created_at,
                              d.last_attempt_at, d.last_status_code, d.last_error, d.owner, d.lease_id, d.lease_expires_at, d.ordering_key
                )
                SELECT l.id::text, l.message_id::text, l.subscription_id::text, l.event_type, l.attempt_count, l.created_at,
                       l.last_attempt_at, l.last_status_code, l.last_error, due.due_at,
                       m.event_type, m."timestamp", m.owner, m.idempotency_key, m.idempotency_expires_at,
                       CASE WHEN row_number() OVER (PARTITION BY l.message_id ORDER BY l.id) = 1 THEN m.payload END,
                       l.owner::text, l.lease_id, l.lease_expires_at, m.created_at, m.trace_parent, m.trace_state, l.ordering_key::text
                FROM leased AS l JOIN due ON due.id = l.id JOIN {s}.messages AS m ON m.id = l.message_id
                ORDER BY due.due_at, l.id;
            END
            $lease$;
            """),
        (8, "leasing without touching an index: pending deliveries indexed by next attempt, the lease kept beside it", """
            -- A lease only writes lease_id and lease_expires_at, which no index holds any more, so PostgreSQL
            -- updates the row in place (a HOT update: no new index entries, no dead ones for the next lease to
            -- step over); fillfactor leaves room on each new page for that. The index orders pending deliveries
            -- by their next attempt; the rows leased now sit among the first entries and are skipped by their
            -- unexpired lease (no more of them than the attempts in flight). A delivery is due once its next
            -- attempt has come and no unexpired lease holds it; its due time is still the lease's expiry if one
            -- was held (never earlier than its next attempt).
            ALTER TABLE {s}.deliveries SET (fillfactor = 50);
            DROP INDEX {s}.deliveries_due;
            CREATE INDEX deliveries_due ON {s}.deliveries (next_attempt_at, id) WHERE status = 0;

            CREATE OR REPLACE FUNCTION {s}.lease(max_count integer, lease_prefix text, duration interval)
            RETURNS TABLE (
                id text, message_id text, subscription_id text, event_type text, attempt_count integer, created_at timestamptz,
                last_attempt_at timestamptz, last_status_code integer, last_error text, due_at timestamptz,
                message_event_type text, message_timestamp timestamptz, message_owner text, idempotency_key text, idempotency_expires_at timestamptz,
                payload bytea, owner text, lease_id text, lease_expires_at timestamptz, message_created_at timestamptz,
                trace_parent text, trace_state text, ordering_key text)
            LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan
            AS $lease$
            #variable_conflict use_column
            BEGIN
                RETURN QUERY
                WITH due AS (
                    SELECT d.id, coalesce(d.lease_expires_at, d.next_attempt_at) AS due_at
                    FROM {s}.deliveries AS d
                    WHERE d.status = 0 AND d.next_attempt_at <= statement_timestamp()
                      AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= statement_timestamp())
                      AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM {s}.deliveries AS e WHERE e.subscription_id = d.subscription_id
                           AND e.ordering_key = d.ordering_key AND e.status = 0 AND e.ordering_seq < d.ordering_seq))
                    ORDER BY d.next_attempt_at, d.id
                    LIMIT max_count
                    FOR UPDATE SKIP LOCKED
                ), leased AS (
                    UPDATE {s}.deliveries AS d
                    SET lease_id = lease_prefix || d.id, lease_expires_at = statement_timestamp() + duration
                    WHERE d.id = ANY (ARRAY(SELECT due.id FROM due))
                    RETURNING d.id, d.message_id, d.subscription_id, d.event_type, d.attempt_count, d.created_at,
                              d.last_attempt_at, d.last_status_code, d.last_error, d.owner, d.lease_id, d.lease_expires_at, d.ordering_key,
                              d.next_attempt_at
                )
                SELECT l.id::text, l.message_id::text, l.subscription_id::text, l.event_type, l.attempt_count, l.created_at,
                       l.last_attempt_at, l.last_status_code, l.last_error, due.due_at,
                       m.event_type, m."timestamp", m.owner, m.idempotency_key, m.idempotency_expires_at,
                       CASE WHEN row_number() OVER (PARTITION BY l.message_id ORDER BY l.id) = 1 THEN m.payload END,
                       l.owner::text, l.lease_id, l.lease_expires_at, m.created_at, m.trace_parent, m.trace_state, l.ordering_key::text
                FROM leased AS l JOIN due ON due.id = l.id JOIN {s}.messages AS m ON m.id = l.message_id
                ORDER BY l.next_attempt_at, l.id;
            END
            $lease$;
            """),
    ];

    public static int Latest => All[^1].Version;
}
