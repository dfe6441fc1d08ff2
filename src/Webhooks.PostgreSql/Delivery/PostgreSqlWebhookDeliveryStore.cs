using System.Text;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.PostgreSql.Schema;

namespace Webhooks.PostgreSql.Delivery;

/// <summary>
/// The delivery queue, log, administration, statistics and retention in PostgreSQL, shared by every
/// instance. Each operation is one statement (one round trip): the fan-out insert of a message and
/// its deliveries, leasing with <c>FOR UPDATE SKIP LOCKED</c> (so concurrent dispatchers never take
/// the same row) and a lease expiry (so a crashed instance's deliveries are taken over), recording
/// an attempt together with the delivery's move. Due times and lease expiry are judged on the
/// database's clock (<see cref="PostgreSqlWebhookDatabase.Clock"/>), the one clock every instance
/// shares. Enqueues, redeliveries and recoveries <c>NOTIFY</c> the schema's channel on commit, which
/// wakes idle dispatchers (an enqueue outside the app's transaction notifies just after its commit,
/// coalesced, so that concurrent publishers do not commit one at a time).
/// </summary>
internal sealed class PostgreSqlWebhookDeliveryStore(PostgreSqlWebhookDatabase db) :
    IWebhookDeliveryStore, IWebhookDeliveryLog, IWebhookDeliveryAdministration, IWebhookDeliveryStatistics, IWebhookDeliveryRetention, IWebhookDeliveryBacklog,
    IWebhookDeliveryOrdering, IWebhookDeliveryRateLimit
{
    // Batch bounds: completions are small rows; enqueues carry payloads (a heavier message still goes, alone).
    private const int MaxCompletionBatch = 256;
    private const int MaxEnqueueBatch = 256;
    private const long MaxEnqueueBatchBytes = 4 * 1024 * 1024;

    private PostgreSqlGroupWriter<PendingCompletion, bool>? _completions;
    private PostgreSqlGroupWriter<PendingEnqueue, WebhookEnqueueResult>? _enqueues;

    /// <summary>Completions written together, two or more in one statement (tests).</summary>
    internal long CompletionBatches => Volatile.Read(ref _completions)?.Batches ?? 0;

    /// <summary>Enqueues written together, two or more in one statement (tests).</summary>
    internal long EnqueueBatches => Volatile.Read(ref _enqueues)?.Batches ?? 0;

    private PostgreSqlGroupWriter<PendingCompletion, bool> Completions => Volatile.Read(ref _completions) ?? CreateCompletions();

    private PostgreSqlGroupWriter<PendingEnqueue, WebhookEnqueueResult> Enqueues => Volatile.Read(ref _enqueues) ?? CreateEnqueues();

    // A delivery is completed once per lease; the key keeps two completions of one delivery (a stale holder's and the new one's) apart.
    private PostgreSqlGroupWriter<PendingCompletion, bool> CreateCompletions()
    {
        Interlocked.CompareExchange(ref _completions, new(db.DataSource, CompleteBatchAsync, CompleteOneAsync, static c => c.Lease.Delivery.Id, static _ => 1, MaxCompletionBatch, MaxCompletionBatch), null);
        return _completions;
    }

    private PostgreSqlGroupWriter<PendingEnqueue, WebhookEnqueueResult> CreateEnqueues()
    {
        Interlocked.CompareExchange(ref _enqueues, new(
            db.DataSource,
            EnqueueBatchAsync,
            e => EnqueueOneAsync(e.Message, e.Deliveries, null, CancellationToken.None),
            static e => e.Message.Id,
            static e => e.Message.Payload.Length + (256L * (e.Deliveries.Count + 1)),
            MaxEnqueueBatch,
            MaxEnqueueBatchBytes), null);
        return _enqueues;
    }

    private readonly record struct PendingCompletion(WebhookLease Lease, WebhookAttempt? Attempt, WebhookDeliveryTransition Transition);

    private readonly record struct PendingEnqueue(WebhookMessage Message, IReadOnlyList<WebhookDelivery> Deliveries);

    private const string DeliveryColumns =
        "id, message_id, subscription_id, event_type, status, attempt_count, created_at, " +
        "CASE WHEN status = 0 THEN coalesce(lease_expires_at, next_attempt_at) END, last_attempt_at, last_status_code, last_error, owner, ordering_key";

    // Notifies only when deliveries were inserted and @notify is set (enqueues inside the app's
    // transaction); the notification goes out when the transaction commits.
    private const string EnqueueTemplate = """
        WITH k AS (
            {key}
        ), m AS (
            INSERT INTO {s}.messages (id, event_type, "timestamp", owner, idempotency_key, idempotency_expires_at, payload, created_at, empty, trace_parent, trace_state)
            SELECT @id, @event_type, @timestamp, @owner, @key, @idempotency_expires_at, @payload, @created_at, cardinality(@d_id::text[]) = 0, @trace_parent, @trace_state
            WHERE EXISTS (SELECT 1 FROM k)
        ), d AS (
            INSERT INTO {s}.deliveries (id, message_id, subscription_id, event_type, owner, status, attempt_count, created_at, next_attempt_at, ordering_key, ordering_seq)
            SELECT u.id, @id, u.subscription_id, @event_type, @owner, u.status, u.attempt_count, u.created_at, {now},
                   u.ordering_key, CASE WHEN u.ordering_key IS NOT NULL THEN nextval('{s}.deliveries_ordering_seq') END
            FROM unnest(@d_id::text[], @d_subscription::text[], @d_status::smallint[], @d_attempts::integer[], @d_created::timestamptz[], @d_ordering_key::text[])
                AS u(id, subscription_id, status, attempt_count, created_at, ordering_key)
            WHERE EXISTS (SELECT 1 FROM k)
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM (SELECT 1 WHERE @notify AND EXISTS (SELECT 1 FROM d)) AS x
        )
        SELECT EXISTS (SELECT 1 FROM k), (SELECT count(*) FROM n)
        """;

    // The earlier key is replaced only once its window has ended before the new message was created (both engine clock).
    private const string ClaimKey = """
        INSERT INTO {s}.idempotency_keys AS k (owner_key, key, message_id, delivery_count, expires_at)
            VALUES (@owner_key, @key, @id, @count, @key_expires_at)
            ON CONFLICT (owner_key, key) DO UPDATE
                SET message_id = excluded.message_id, delivery_count = excluded.delivery_count, expires_at = excluded.expires_at
                WHERE k.expires_at <= @created_at
            RETURNING 1
        """;

    private readonly string _enqueue = db.Sql(EnqueueTemplate.Replace("{key}", "SELECT 1", StringComparison.Ordinal));

    private readonly string _enqueueWithKey = db.Sql(EnqueueTemplate.Replace("{key}", ClaimKey, StringComparison.Ordinal));

    private const string NotifySql = "SELECT pg_notify(@channel, '')";

    private int _notifyRequested;
    private int _notifying;

    private readonly string _earlierKey = db.Sql("SELECT message_id, delivery_count FROM {s}.idempotency_keys WHERE owner_key = @owner_key AND key = @key");

    // Each delivery's lease id is the call's unique prefix plus the delivery id: unique per lease taken.
    // The payload travels once per message, however many of its deliveries are in the batch. The
    // statement is the schema's lease function (migration 7), whose plan is made once per connection.
    private readonly string _lease = db.Sql("SELECT * FROM {s}.lease(@max, @lease_id, @duration)");

    // "Held": pending and carrying this lease id, expired or not. Check and write are one statement.
    private readonly string _complete = db.Sql("""
        WITH d AS (
            UPDATE {s}.deliveries
            SET status = @status, attempt_count = @number, last_attempt_at = @started_at, last_status_code = @status_code,
                last_error = @error, next_attempt_at = CASE WHEN @status = 0 THEN {now} + @delay END,
                lease_id = NULL, lease_expires_at = NULL
            WHERE id = @id AND lease_id = @lease_id AND status = 0
            RETURNING subscription_id, owner
        ), a AS (
            INSERT INTO {s}.attempts (delivery_id, subscription_id, owner, number, started_at, duration, status_code, response_excerpt, error_kind, error)
            SELECT @id, subscription_id, owner, @number, @started_at, @duration, @status_code, @response_excerpt, @error_kind, @error FROM d
        )
        SELECT count(*) FROM d
        """);

    // Nothing was sent: the delivery moves, its attempt count and last-attempt fields stay, the reason is its last error.
    private readonly string _completeUnsent = db.Sql("""
        WITH d AS (
            UPDATE {s}.deliveries
            SET status = @status, last_error = @error, next_attempt_at = CASE WHEN @status = 0 THEN {now} + @delay END,
                lease_id = NULL, lease_expires_at = NULL
            WHERE id = @id AND lease_id = @lease_id AND status = 0
            RETURNING 1
        )
        SELECT count(*) FROM d
        """);

    // Many completions in one statement (group completion): each row is held only when pending with its lease id;
    // the ids returned are the ones that were held. A row that was not sent keeps its attempt fields and gets no attempt.
    // The arrays are read through (SELECT @x): the planner then costs every batch size alike, so after a few calls the
    // connection keeps one generic plan (rows found through the primary key) instead of planning each batch anew.
    private readonly string _completeBatch = db.Sql("""
        WITH i AS (
            SELECT * FROM unnest((SELECT @id::text[]), (SELECT @lease_id::text[]), (SELECT @status::smallint[]), (SELECT @delay::interval[]), (SELECT @sent::boolean[]), (SELECT @number::integer[]),
                                 (SELECT @started_at::timestamptz[]), (SELECT @duration::interval[]), (SELECT @status_code::integer[]), (SELECT @response_excerpt::text[]),
                                 (SELECT @error_kind::smallint[]), (SELECT @error::text[]))
                AS i(id, lease_id, status, delay, sent, number, started_at, duration, status_code, response_excerpt, error_kind, error)
        ), done AS (
            UPDATE {s}.deliveries AS d
            SET status = i.status,
                attempt_count = CASE WHEN i.sent THEN i.number ELSE d.attempt_count END,
                last_attempt_at = CASE WHEN i.sent THEN i.started_at ELSE d.last_attempt_at END,
                last_status_code = CASE WHEN i.sent THEN i.status_code ELSE d.last_status_code END,
                last_error = i.error, next_attempt_at = CASE WHEN i.status = 0 THEN {now} + i.delay END,
                lease_id = NULL, lease_expires_at = NULL
            FROM i
            WHERE d.id = i.id AND d.lease_id = i.lease_id AND d.status = 0
            RETURNING d.id, d.subscription_id, d.owner
        ), a AS (
            INSERT INTO {s}.attempts (delivery_id, subscription_id, owner, number, started_at, duration, status_code, response_excerpt, error_kind, error)
            SELECT i.id, done.subscription_id, done.owner, i.number, i.started_at, i.duration, i.status_code, i.response_excerpt, i.error_kind, i.error
            FROM done JOIN i ON i.id = done.id
            WHERE i.sent
        )
        SELECT id FROM done
        """);

    // Many unkeyed enqueues outside the app's transaction in one statement (group enqueue; arrays read as above): messages, then their
    // deliveries, and the wake-up goes out with the commit. One batch is written at a time per store, so notifying
    // in it makes no publishers commit one at a time (as notifying in every publish's own statement did).
    private readonly string _enqueueBatch = db.Sql("""
        WITH m AS (
            INSERT INTO {s}.messages (id, event_type, "timestamp", owner, idempotency_expires_at, payload, created_at, empty, trace_parent, trace_state)
            SELECT * FROM unnest((SELECT @m_id::text[]), (SELECT @m_event_type::text[]), (SELECT @m_timestamp::timestamptz[]), (SELECT @m_owner::text[]), (SELECT @m_idempotency_expires_at::timestamptz[]),
                                 (SELECT @m_payload::bytea[]), (SELECT @m_created_at::timestamptz[]), (SELECT @m_empty::boolean[]), (SELECT @m_trace_parent::text[]), (SELECT @m_trace_state::text[]))
        ), d AS (
            INSERT INTO {s}.deliveries (id, message_id, subscription_id, event_type, owner, status, attempt_count, created_at, next_attempt_at, ordering_key, ordering_seq)
            SELECT u.id, u.message_id, u.subscription_id, u.event_type, u.owner, u.status, u.attempt_count, u.created_at, {now},
                   u.ordering_key, CASE WHEN u.ordering_key IS NOT NULL THEN nextval('{s}.deliveries_ordering_seq') END
            FROM unnest((SELECT @d_id::text[]), (SELECT @d_message::text[]), (SELECT @d_subscription::text[]), (SELECT @d_event_type::text[]), (SELECT @d_owner::text[]), (SELECT @d_status::smallint[]),
                        (SELECT @d_attempts::integer[]), (SELECT @d_created::timestamptz[]), (SELECT @d_ordering_key::text[]))
                AS u(id, message_id, subscription_id, event_type, owner, status, attempt_count, created_at, ordering_key)
            RETURNING 1
        )
        SELECT count(*) FROM (SELECT pg_notify(@channel, '') WHERE EXISTS (SELECT 1 FROM d)) AS n
        """);

    // Released for now (shutdown): wake the other instances; released for later (busy receiver): polling finds it.
    private readonly string _release = db.Sql("""
        WITH u AS (
            UPDATE {s}.deliveries SET lease_id = NULL, lease_expires_at = NULL, next_attempt_at = {now} + @delay
            WHERE id = @id AND lease_id = @lease_id AND status = 0
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM u WHERE @notify
        )
        SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n)
        """);

    private readonly string _get = db.Sql($"""
        SELECT {DeliveryColumns} FROM {"{s}"}.deliveries WHERE id = @id;
        SELECT number, started_at, duration, status_code, response_excerpt, error_kind, error FROM {"{s}"}.attempts WHERE delivery_id = @id ORDER BY seq
        """);

    private readonly string _redeliver = db.Sql("""
        WITH u AS (
            UPDATE {s}.deliveries SET status = 0, next_attempt_at = {now}, lease_id = NULL, lease_expires_at = NULL
            WHERE id = @id AND status <> 0
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM u)) AS x
        )
        SELECT (SELECT count(*) FROM u)::integer, (SELECT count(*) FROM n)
        """);

    private readonly string _requeueFailed = db.Sql("""
        WITH u AS (
            UPDATE {s}.deliveries SET status = 0, next_attempt_at = {now}, lease_id = NULL, lease_expires_at = NULL
            WHERE subscription_id = @subscription_id AND status = 2 AND created_at >= @since
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM u)) AS x
        )
        SELECT (SELECT count(*) FROM u)::integer, (SELECT count(*) FROM n)
        """);

    // Attempts without a subscription id are v1's "nothing was sent" rows, which never counted (migration 3).
    private const string StatsTemplate = """
        SELECT floor(extract(epoch FROM (started_at - @start)) / @width)::integer,
               count(*) FILTER (WHERE error_kind = 0)::integer, count(*) FILTER (WHERE error_kind <> 0)::integer
        FROM {s}.attempts
        WHERE {who} AND subscription_id IS NOT NULL AND started_at >= @start AND started_at < @end
        GROUP BY 1
        """;

    private readonly string _statsOwner = db.Sql(StatsTemplate.Replace("{who}", "owner = @owner", StringComparison.Ordinal));

    private readonly string _statsOwnerless = db.Sql(StatsTemplate.Replace("{who}", "owner IS NULL", StringComparison.Ordinal));

    private readonly string _statsSubscription = db.Sql(StatsTemplate.Replace("{who}", "subscription_id = @subscription_id AND owner IS NOT DISTINCT FROM @owner", StringComparison.Ordinal));

    /// <summary>
    /// One atomic statement. Finished deliveries are locked (skipping rows another purge holds) and
    /// deleted only while still finished, so a redelivery that commits first keeps its delivery and one
    /// that comes after finds it gone (and reports so). Attempts go with their delivery (cascade). A
    /// message left without deliveries goes too once its idempotency window has ended before the
    /// cutoff; until then it is marked empty, and a later purge removes it through the empty index.
    /// </summary>
    private readonly string _purge = db.Sql("""
        WITH victims AS (
            SELECT id FROM {s}.deliveries
            WHERE status <> 0 AND created_at < @cutoff
            ORDER BY created_at
            LIMIT @batch
            FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM {s}.deliveries AS d USING victims AS v
            WHERE d.id = v.id AND d.status <> 0
            RETURNING d.id, d.message_id
        ), left_empty AS (
            SELECT DISTINCT g.message_id AS id FROM gone AS g
            WHERE NOT EXISTS (
                SELECT 1 FROM {s}.deliveries AS o
                WHERE o.message_id = g.message_id AND NOT EXISTS (SELECT 1 FROM gone AS x WHERE x.id = o.id))
        ), dropped AS (
            DELETE FROM {s}.messages AS m USING left_empty AS e
            WHERE m.id = e.id AND m.created_at < @cutoff AND (m.idempotency_expires_at IS NULL OR m.idempotency_expires_at < @cutoff)
            RETURNING 1
        ), marked AS (
            UPDATE {s}.messages AS m SET empty = true FROM left_empty AS e
            WHERE m.id = e.id AND NOT (m.created_at < @cutoff AND (m.idempotency_expires_at IS NULL OR m.idempotency_expires_at < @cutoff))
            RETURNING 1
        ), stale AS (
            DELETE FROM {s}.messages WHERE id IN (
                SELECT id FROM {s}.messages
                WHERE empty AND created_at < @cutoff AND (idempotency_expires_at IS NULL OR idempotency_expires_at < @cutoff)
                ORDER BY created_at
                LIMIT @batch
                FOR UPDATE SKIP LOCKED)
            RETURNING 1
        ), keys AS (
            DELETE FROM {s}.idempotency_keys WHERE (owner_key, key) IN (
                SELECT owner_key, key FROM {s}.idempotency_keys
                WHERE expires_at < @cutoff
                ORDER BY expires_at
                LIMIT @batch
                FOR UPDATE SKIP LOCKED)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone)::integer, (SELECT count(*) FROM dropped) + (SELECT count(*) FROM stale),
               (SELECT count(*) FROM marked), (SELECT count(*) FROM keys)
        """);

    // Both from the partial index of pending deliveries by next attempt (deliveries_due): the count scans it.
    // A delivery's due time is its lease's expiry if one is held, else its next attempt, and never earlier
    // than its next attempt: so the earliest due time is among the rows whose next attempt is no later than
    // the due time of the first entry that may go (a short range of the index). Judged against the same statement's clock.
    private readonly string _backlog = db.Sql("""
        SELECT (SELECT count(*) FROM {s}.deliveries WHERE status = 0),
               (SELECT min(coalesce(d.lease_expires_at, d.next_attempt_at)) FROM {s}.deliveries AS d
                WHERE d.status = 0 AND {may d}
                  AND d.next_attempt_at <= (SELECT coalesce(f.lease_expires_at, f.next_attempt_at) FROM {s}.deliveries AS f
                                            WHERE f.status = 0 AND {may f} ORDER BY f.next_attempt_at, f.id LIMIT 1)),
               {now}
        """.Replace("{may d}", MayGo("d"), StringComparison.Ordinal).Replace("{may f}", MayGo("f"), StringComparison.Ordinal));

    /// <summary>The ordering rule as SQL on alias <paramref name="d"/>: no key, or no pending delivery of its subscription and key before it.</summary>
    private static string MayGo(string d) =>
        $"({d}.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM {{s}}.deliveries AS e WHERE e.subscription_id = {d}.subscription_id " +
        $"AND e.ordering_key = {d}.ordering_key AND e.status = 0 AND e.ordering_seq < {d}.ordering_seq))";

    // GCRA in one statement: take a slot (tat moves one interval past max(tat, now)) only while tat is
    // within the burst of now; either way return the tat seen before, so a refusal says when a slot frees.
    // The row lock of ON CONFLICT DO UPDATE makes concurrent callers from any instance take turns.
    private readonly string _reserve = db.Sql("""
        WITH before AS (
            SELECT tat FROM {s}.rate_limits WHERE subscription_id = @id
        ), taken AS (
            INSERT INTO {s}.rate_limits AS r (subscription_id, tat) VALUES (@id, {now} + @interval)
            ON CONFLICT (subscription_id) DO UPDATE SET tat = greatest(r.tat, {now}) + @interval
                WHERE r.tat <= {now} + @tolerance
            RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM taken), (SELECT tat FROM before) - @tolerance - {now}
        """);

    public async Task<TimeSpan> TryReserveSendAsync(string subscriptionId, int perSecond, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_reserve);
        var interval = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / perSecond);
        command.Parameters.AddWithValue("id", subscriptionId);
        command.Parameters.AddWithValue("interval", interval);
        command.Parameters.AddWithValue("tolerance", interval * (perSecond - 1));
        await using var r = await ExecuteReaderAsync(command, "reserving a send slot", cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (r.GetBoolean(0))
        {
            return TimeSpan.Zero;
        }

        // Refused: the wait until tat falls within the burst (at least a tick, so a refusal never reads as granted).
        var wait = r.IsDBNull(1) ? interval : r.GetFieldValue<TimeSpan>(1);
        return wait > TimeSpan.Zero ? wait : TimeSpan.FromTicks(1);
    }

    /// <summary>
    /// Inside the app's transaction: one statement through it. Otherwise, without an idempotency key:
    /// concurrent enqueues go together, one statement and one commit for all that arrived while the
    /// previous one ran (<see cref="PostgreSqlGroupWriter{TItem, TResult}"/>); each returns once the
    /// commit holding its message is done. With a key: alone, so a duplicate finds the earlier message.
    /// </summary>
    public async Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(deliveries);

        // With the app's transaction: write through it, so its rollback drops the webhook.
        var transaction = PostgreSqlEnqueueContext.TransactionOf(context);
        await db.EnsureSchemaAsync(cancellationToken, transaction).ConfigureAwait(false);
        if (transaction is not null || message.IdempotencyKey is not null)
        {
            return await EnqueueOneAsync(message, deliveries, transaction, cancellationToken).ConfigureAwait(false);
        }

        // Notified either way: a batch in its own statement, a lone enqueue just after its commit (NotifySoon).
        return await Enqueues.WriteAsync(new PendingEnqueue(message, deliveries), cancellationToken).ConfigureAwait(false);
    }

    private async Task<WebhookEnqueueResult[]> EnqueueBatchAsync(NpgsqlConnection connection, IReadOnlyList<PendingEnqueue> batch)
    {
        int n = batch.Count;
        int total = 0;
        foreach (var e in batch)
        {
            total += e.Deliveries.Count;
        }

        var ids = new string[n];
        var eventTypes = new string[n];
        var timestamps = new DateTimeOffset[n];
        var owners = new string?[n];
        var keyExpiries = new DateTimeOffset?[n];
        var payloads = new byte[n][];
        var createdAt = new DateTimeOffset[n];
        var empty = new bool[n];
        var traceParents = new string?[n];
        var traceStates = new string?[n];
        var dIds = new string[total];
        var dMessages = new string[total];
        var dSubscriptions = new string[total];
        var dEventTypes = new string[total];
        var dOwners = new string?[total];
        var dStatuses = new short[total];
        var dAttempts = new int[total];
        var dCreated = new DateTimeOffset[total];
        var dOrderingKeys = new string?[total];
        var results = new WebhookEnqueueResult[n];
        int j = 0;
        for (int i = 0; i < n; i++)
        {
            var (m, deliveries) = batch[i];
            ids[i] = m.Id;
            eventTypes[i] = m.EventType;
            timestamps[i] = m.Timestamp.ToUniversalTime();
            owners[i] = m.Owner;
            keyExpiries[i] = m.IdempotencyExpiresAt?.ToUniversalTime();
            payloads[i] = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(m.Payload, out var segment)
                && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : m.Payload.ToArray();
            createdAt[i] = m.CreatedAt.ToUniversalTime();
            empty[i] = deliveries.Count == 0;
            traceParents[i] = m.TraceParent;
            traceStates[i] = m.TraceState;
            foreach (var d in deliveries)
            {
                dIds[j] = d.Id;
                dMessages[j] = m.Id;
                dSubscriptions[j] = d.SubscriptionId;
                dEventTypes[j] = m.EventType;
                dOwners[j] = m.Owner;
                dStatuses[j] = (short)d.Status;
                dAttempts[j] = d.AttemptCount;
                dCreated[j] = d.CreatedAt.ToUniversalTime();
                dOrderingKeys[j] = d.OrderingKey;
                j++;
            }

            results[i] = new WebhookEnqueueResult(m.Id, deliveries.Count, IsDuplicate: false);
        }

        await using var command = new NpgsqlCommand(_enqueueBatch, connection);
        var p = command.Parameters;
        p.AddWithValue("m_id", ids);
        p.AddWithValue("m_event_type", eventTypes);
        p.AddWithValue("m_timestamp", timestamps);
        p.AddWithValue("m_owner", NpgsqlDbType.Array | NpgsqlDbType.Text, owners);
        p.AddWithValue("m_idempotency_expires_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, keyExpiries);
        p.AddWithValue("m_payload", NpgsqlDbType.Array | NpgsqlDbType.Bytea, payloads);
        p.AddWithValue("m_created_at", createdAt);
        p.AddWithValue("m_empty", empty);
        p.AddWithValue("m_trace_parent", NpgsqlDbType.Array | NpgsqlDbType.Text, traceParents);
        p.AddWithValue("m_trace_state", NpgsqlDbType.Array | NpgsqlDbType.Text, traceStates);
        p.AddWithValue("d_id", dIds);
        p.AddWithValue("d_message", dMessages);
        p.AddWithValue("d_subscription", dSubscriptions);
        p.AddWithValue("d_event_type", dEventTypes);
        p.AddWithValue("d_owner", NpgsqlDbType.Array | NpgsqlDbType.Text, dOwners);
        p.AddWithValue("d_status", dStatuses);
        p.AddWithValue("d_attempts", dAttempts);
        p.AddWithValue("d_created", dCreated);
        p.AddWithValue("d_ordering_key", NpgsqlDbType.Array | NpgsqlDbType.Text, dOrderingKeys);
        p.AddWithValue("channel", db.Channel);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        return results;
    }

    /// <summary>One enqueue in one statement: inside the app's transaction, with an idempotency key, or alone.</summary>
    private async Task<WebhookEnqueueResult> EnqueueOneAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            NpgsqlCommand command;
            if (transaction is not null)
            {
                command = PostgreSqlEnqueueContext.CommandOn(transaction, null);
            }
            else
            {
                connection = await db.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                command = connection.CreateCommand();
            }

            await using (command.ConfigureAwait(false))
            {
                var key = message.IdempotencyKey;
                command.CommandText = key is null ? _enqueue : _enqueueWithKey;
                AddEnqueueParameters(command, message, deliveries);

                // A transaction that notifies holds a database-wide lock from its commit until the commit is
                // flushed, so concurrent publishers that each notified would commit one at a time. In the
                // app's transaction the notification must wait for its commit; an enqueue of its own has
                // committed when the statement returns, and one notification after it serves every
                // publish meanwhile (NotifySoon).
                command.Parameters.AddWithValue("notify", transaction is not null);
                bool stored;
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    stored = reader.GetBoolean(0);
                }

                if (stored || key is null)
                {
                    if (transaction is null && deliveries.Count > 0)
                    {
                        NotifySoon();
                    }

                    return new WebhookEnqueueResult(message.Id, deliveries.Count, IsDuplicate: false);
                }

                // The key was claimed earlier (or by a concurrent enqueue that has committed since): report that message.
                command.CommandText = _earlierKey;
                command.Parameters.Clear();
                command.Parameters.AddWithValue("owner_key", message.Owner ?? "");
                command.Parameters.AddWithValue("key", key);
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        throw new WebhookException($"Idempotency key '{key}' was neither stored nor found; retry the publish.");
                    }

                    return new WebhookEnqueueResult(reader.GetString(0), reader.GetInt32(1), IsDuplicate: true);
                }
            }
        }
        catch (PostgresException ex)
        {
            throw db.Explain(ex, "enqueueing a message");
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        if (maxCount <= 0)
        {
            return [];
        }

        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_lease);
        command.Parameters.AddWithValue("max", maxCount);
        command.Parameters.AddWithValue("lease_id", "lease_" + Guid.NewGuid().ToString("N") + "_");
        command.Parameters.AddWithValue("duration", leaseDuration);

        var rows = new List<(WebhookDelivery Delivery, string LeaseId, DateTimeOffset ExpiresAt)>();
        var messages = new Dictionary<string, WebhookMessage>(StringComparer.Ordinal);
        await using (var r = await ExecuteReaderAsync(command, "leasing deliveries", cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var messageId = r.GetString(1);
                rows.Add((new WebhookDelivery
                {
                    Id = r.GetString(0),
                    MessageId = messageId,
                    SubscriptionId = r.GetString(2),
                    EventType = r.GetString(3),
                    Owner = r.IsDBNull(16) ? null : r.GetString(16),
                    Status = WebhookDeliveryStatus.Pending,
                    AttemptCount = r.GetInt32(4),
                    CreatedAt = r.GetFieldValue<DateTimeOffset>(5),
                    LastAttemptAt = NullableTime(r, 6),
                    LastStatusCode = r.IsDBNull(7) ? null : r.GetInt32(7),
                    LastError = r.IsDBNull(8) ? null : r.GetString(8),
                    NextAttemptAt = r.GetFieldValue<DateTimeOffset>(9),
                    OrderingKey = r.IsDBNull(22) ? null : r.GetString(22),
                }, r.GetString(17), r.GetFieldValue<DateTimeOffset>(18)));
                if (!r.IsDBNull(15))
                {
                    messages[messageId] = new WebhookMessage
                    {
                        Id = messageId,
                        EventType = r.GetString(10),
                        Timestamp = r.GetFieldValue<DateTimeOffset>(11),
                        Owner = r.IsDBNull(12) ? null : r.GetString(12),
                        IdempotencyKey = r.IsDBNull(13) ? null : r.GetString(13),
                        IdempotencyExpiresAt = NullableTime(r, 14),
                        Payload = r.GetFieldValue<byte[]>(15),
                        CreatedAt = r.GetFieldValue<DateTimeOffset>(19),
                        TraceParent = r.IsDBNull(20) ? null : r.GetString(20),
                        TraceState = r.IsDBNull(21) ? null : r.GetString(21),
                    };
                }
            }
        }

        var leases = new WebhookLease[rows.Count];
        for (int i = 0; i < leases.Length; i++)
        {
            var (delivery, leaseId, expiresAt) = rows[i];
            leases[i] = new WebhookLease(delivery, messages[delivery.MessageId], leaseId, expiresAt);
        }

        return leases;
    }

    /// <summary>
    /// Concurrent completions (one per worker) go together: one statement and one commit for all that
    /// arrived while the previous one ran (<see cref="PostgreSqlGroupWriter{TItem, TResult}"/>); each
    /// caller learns whether its own lease was held.
    /// </summary>
    public async Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await Completions.WriteAsync(new PendingCompletion(lease, attempt, transition), cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool[]> CompleteBatchAsync(NpgsqlConnection connection, IReadOnlyList<PendingCompletion> batch)
    {
        int n = batch.Count;
        var ids = new string[n];
        var leaseIds = new string[n];
        var statuses = new short[n];
        var delays = new TimeSpan[n];
        var sent = new bool[n];
        var numbers = new int?[n];
        var startedAt = new DateTimeOffset?[n];
        var durations = new TimeSpan?[n];
        var statusCodes = new int?[n];
        var excerpts = new string?[n];
        var errorKinds = new short?[n];
        var errors = new string?[n];
        for (int i = 0; i < n; i++)
        {
            var (lease, attempt, transition) = batch[i];
            ids[i] = lease.Delivery.Id;
            leaseIds[i] = lease.LeaseId;
            statuses[i] = (short)transition.Status;
            delays[i] = transition.RetryDelay < TimeSpan.Zero ? TimeSpan.Zero : transition.RetryDelay;
            if (attempt is null)
            {
                errors[i] = PostgreSqlText.Clean(transition.Reason);
                continue;
            }

            sent[i] = true;
            numbers[i] = attempt.Number;
            startedAt[i] = attempt.StartedAt.ToUniversalTime();
            durations[i] = attempt.Duration;
            statusCodes[i] = attempt.StatusCode;
            excerpts[i] = PostgreSqlText.Clean(attempt.ResponseExcerpt);
            errorKinds[i] = (short)attempt.ErrorKind;
            errors[i] = PostgreSqlText.Clean(attempt.Error);
        }

        await using var command = new NpgsqlCommand(_completeBatch, connection);
        var p = command.Parameters;
        p.AddWithValue("id", ids);
        p.AddWithValue("lease_id", leaseIds);
        p.AddWithValue("status", statuses);
        p.AddWithValue("delay", delays);
        p.AddWithValue("sent", sent);
        p.AddWithValue("number", NpgsqlDbType.Array | NpgsqlDbType.Integer, numbers);
        p.AddWithValue("started_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, startedAt);
        p.AddWithValue("duration", NpgsqlDbType.Array | NpgsqlDbType.Interval, durations);
        p.AddWithValue("status_code", NpgsqlDbType.Array | NpgsqlDbType.Integer, statusCodes);
        p.AddWithValue("response_excerpt", NpgsqlDbType.Array | NpgsqlDbType.Text, excerpts);
        p.AddWithValue("error_kind", NpgsqlDbType.Array | NpgsqlDbType.Smallint, errorKinds);
        p.AddWithValue("error", NpgsqlDbType.Array | NpgsqlDbType.Text, errors);
        var held = new HashSet<string>(StringComparer.Ordinal);
        await using (var r = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                held.Add(r.GetString(0));
            }
        }

        var results = new bool[n];
        for (int i = 0; i < n; i++)
        {
            results[i] = held.Contains(ids[i]);
        }

        return results;
    }

    private Task<bool> CompleteOneAsync(PendingCompletion completion) =>
        CompleteOneAsync(completion.Lease, completion.Attempt, completion.Transition);

    private async Task<bool> CompleteOneAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition)
    {
        var cancellationToken = CancellationToken.None;
        await using var command = db.DataSource.CreateCommand(attempt is null ? _completeUnsent : _complete);
        var p = command.Parameters;
        p.AddWithValue("id", lease.Delivery.Id);
        p.AddWithValue("lease_id", lease.LeaseId);
        p.AddWithValue("status", (short)transition.Status);
        p.AddWithValue("delay", transition.RetryDelay < TimeSpan.Zero ? TimeSpan.Zero : transition.RetryDelay);
        if (attempt is null)
        {
            p.AddWithValue("error", NpgsqlDbType.Text, (object?)PostgreSqlText.Clean(transition.Reason) ?? DBNull.Value);
        }
        else
        {
            p.AddWithValue("number", attempt.Number);
            p.AddWithValue("started_at", attempt.StartedAt.ToUniversalTime());
            p.AddWithValue("duration", attempt.Duration);
            p.AddWithValue("status_code", NpgsqlDbType.Integer, (object?)attempt.StatusCode ?? DBNull.Value);
            p.AddWithValue("response_excerpt", NpgsqlDbType.Text, (object?)PostgreSqlText.Clean(attempt.ResponseExcerpt) ?? DBNull.Value);
            p.AddWithValue("error_kind", (short)attempt.ErrorKind);
            p.AddWithValue("error", NpgsqlDbType.Text, (object?)PostgreSqlText.Clean(attempt.Error) ?? DBNull.Value);
        }

        return await ExecuteCountAsync(command, "recording an attempt", cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_release);
        command.Parameters.AddWithValue("id", lease.Delivery.Id);
        command.Parameters.AddWithValue("lease_id", lease.LeaseId);
        command.Parameters.AddWithValue("delay", delay < TimeSpan.Zero ? TimeSpan.Zero : delay);
        command.Parameters.AddWithValue("notify", delay <= TimeSpan.Zero);
        command.Parameters.AddWithValue("channel", db.Channel);
        return await ExecuteCountAsync(command, "releasing a lease", cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var limit = Math.Clamp(query.Limit, 1, WebhookPaging.MaxLimit);

        // Filters are added only when given, so each shape gets a plan on (owner[, status], id) or (subscription_id[, status], id).
        var sql = new StringBuilder(db.Sql($"SELECT {DeliveryColumns} FROM {"{s}"}.deliveries WHERE "));
        await using var command = db.DataSource.CreateCommand();
        if (query.Owner is null)
        {
            sql.Append("owner IS NULL");
        }
        else
        {
            sql.Append("owner = @owner");
            command.Parameters.AddWithValue("owner", query.Owner);
        }

        if (query.SubscriptionId is not null)
        {
            sql.Append(" AND subscription_id = @subscription_id");
            command.Parameters.AddWithValue("subscription_id", query.SubscriptionId);
        }

        if (query.Status is { } status)
        {
            sql.Append(" AND status = @status");
            command.Parameters.AddWithValue("status", (short)status);
        }

        if (query.EventType is not null)
        {
            sql.Append(" AND event_type = @event_type");
            command.Parameters.AddWithValue("event_type", query.EventType);
        }

        if (query.Cursor is not null)
        {
            sql.Append(" AND id < @cursor");
            command.Parameters.AddWithValue("cursor", query.Cursor);
        }

        sql.Append(" ORDER BY id DESC LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit + 1);
        command.CommandText = sql.ToString();
        var items = new List<WebhookDelivery>();
        await using (var r = await ExecuteReaderAsync(command, "querying deliveries", cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(ReadDelivery(r));
            }
        }

        return WebhookPaging.FromOverfetch(items, limit, static d => d.Id);
    }

    public async Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveryId);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_get);
        command.Parameters.AddWithValue("id", deliveryId);
        await using var r = await ExecuteReaderAsync(command, "reading a delivery", cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var delivery = ReadDelivery(r);
        await r.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var attempts = new List<WebhookAttempt>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            attempts.Add(new WebhookAttempt
            {
                Number = r.GetInt32(0),
                StartedAt = r.GetFieldValue<DateTimeOffset>(1),
                Duration = r.GetFieldValue<TimeSpan>(2),
                StatusCode = r.IsDBNull(3) ? null : r.GetInt32(3),
                ResponseExcerpt = r.IsDBNull(4) ? null : r.GetString(4),
                ErrorKind = (WebhookErrorKind)r.GetInt16(5),
                Error = r.IsDBNull(6) ? null : r.GetString(6),
            });
        }

        return new WebhookDeliveryDetails(delivery, attempts);
    }

    public async Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveryId);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_redeliver);
        command.Parameters.AddWithValue("id", deliveryId);
        command.Parameters.AddWithValue("channel", db.Channel);
        return await ExecuteCountAsync(command, "redelivering", cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_requeueFailed);
        command.Parameters.AddWithValue("subscription_id", subscriptionId);
        command.Parameters.AddWithValue("since", since.ToUniversalTime());
        command.Parameters.AddWithValue("channel", db.Channel);
        return await ExecuteCountAsync(command, "requeueing failed deliveries", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(WebhookStatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        int count = Math.Max(0, query.BucketCount);
        var start = query.Start.ToUniversalTime();
        var width = query.BucketWidth;
        await using var command = db.DataSource.CreateCommand(
            query.SubscriptionId is not null ? _statsSubscription : query.Owner is not null ? _statsOwner : _statsOwnerless);
        command.Parameters.AddWithValue("start", start);
        command.Parameters.AddWithValue("end", start + (width * count));
        command.Parameters.AddWithValue("width", (decimal)width.Ticks / TimeSpan.TicksPerSecond);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)query.Owner ?? DBNull.Value);
        if (query.SubscriptionId is not null)
        {
            command.Parameters.AddWithValue("subscription_id", query.SubscriptionId);
        }

        var buckets = new WebhookStatsBucket[count];
        for (int i = 0; i < count; i++)
        {
            buckets[i] = new WebhookStatsBucket(start + (width * i), 0, 0);
        }

        await using var r = await ExecuteReaderAsync(command, "reading stats", cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            int i = r.GetInt32(0);
            if (i >= 0 && i < count)
            {
                buckets[i] = buckets[i] with { Succeeded = r.GetInt32(1), Failed = r.GetInt32(2) };
            }
        }

        return buckets;
    }

    public async Task<int> PurgeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_purge);
        command.Parameters.AddWithValue("cutoff", cutoff.ToUniversalTime());
        command.Parameters.AddWithValue("batch", Math.Max(1, batchSize));
        return await ExecuteCountAsync(command, "removing old webhook data", cancellationToken).ConfigureAwait(false);
    }

    public async Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken)
    {
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_backlog);
        await using var r = await ExecuteReaderAsync(command, "reading the backlog", cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        var oldest = NullableTime(r, 1);
        var now = r.GetFieldValue<DateTimeOffset>(2);
        return new WebhookBacklog(r.GetInt64(0), oldest <= now ? oldest : null, now);
    }

    /// <summary>
    /// Wakes idle dispatchers after enqueues that committed on their own: at most one <c>NOTIFY</c> in
    /// flight per store; enqueues during it get one more after it. A failure is left to polling.
    /// </summary>
    private void NotifySoon()
    {
        Volatile.Write(ref _notifyRequested, 1);
        if (Interlocked.CompareExchange(ref _notifying, 1, 0) == 0)
        {
            _ = Task.Run(NotifyLoopAsync);
        }
    }

    private async Task NotifyLoopAsync()
    {
        try
        {
            while (Interlocked.Exchange(ref _notifyRequested, 0) == 1)
            {
                try
                {
                    await using var command = db.DataSource.CreateCommand(NotifySql);
                    command.Parameters.AddWithValue("channel", db.Channel);
                    await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or ObjectDisposedException)
                {
                    // The database is unreachable or the app is stopping: dispatchers poll (PollInterval).
                    return;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _notifying, 0);
            if (Volatile.Read(ref _notifyRequested) == 1 && Interlocked.CompareExchange(ref _notifying, 1, 0) == 0)
            {
                _ = Task.Run(NotifyLoopAsync);
            }
        }
    }

    private void AddEnqueueParameters(NpgsqlCommand command, WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries)
    {
        var p = command.Parameters;
        var createdAt = message.CreatedAt.ToUniversalTime();
        p.AddWithValue("id", message.Id);
        p.AddWithValue("event_type", message.EventType);
        p.AddWithValue("timestamp", message.Timestamp.ToUniversalTime());
        p.AddWithValue("created_at", createdAt);
        p.AddWithValue("owner", NpgsqlDbType.Text, (object?)message.Owner ?? DBNull.Value);
        p.AddWithValue("key", NpgsqlDbType.Text, (object?)message.IdempotencyKey ?? DBNull.Value);
        p.AddWithValue("idempotency_expires_at", NpgsqlDbType.TimestampTz, (object?)message.IdempotencyExpiresAt?.ToUniversalTime() ?? DBNull.Value);
        p.AddWithValue("payload", NpgsqlDbType.Bytea, message.Payload);
        p.AddWithValue("trace_parent", NpgsqlDbType.Text, (object?)message.TraceParent ?? DBNull.Value);
        p.AddWithValue("trace_state", NpgsqlDbType.Text, (object?)message.TraceState ?? DBNull.Value);
        p.AddWithValue("channel", db.Channel);
        if (message.IdempotencyKey is not null)
        {
            p.AddWithValue("owner_key", message.Owner ?? "");
            p.AddWithValue("count", deliveries.Count);
            p.AddWithValue("key_expires_at", (message.IdempotencyExpiresAt ?? message.CreatedAt).ToUniversalTime());
        }

        var ids = new string[deliveries.Count];
        var subscriptions = new string[deliveries.Count];
        var statuses = new short[deliveries.Count];
        var attempts = new int[deliveries.Count];
        var created = new DateTimeOffset[deliveries.Count];
        var orderingKeys = new string?[deliveries.Count];
        for (int i = 0; i < deliveries.Count; i++)
        {
            var d = deliveries[i];
            ids[i] = d.Id;
            subscriptions[i] = d.SubscriptionId;
            statuses[i] = (short)d.Status;
            attempts[i] = d.AttemptCount;
            created[i] = d.CreatedAt.ToUniversalTime();
            orderingKeys[i] = d.OrderingKey;
        }

        p.AddWithValue("d_id", ids);
        p.AddWithValue("d_subscription", subscriptions);
        p.AddWithValue("d_status", statuses);
        p.AddWithValue("d_attempts", attempts);
        p.AddWithValue("d_created", created);
        p.AddWithValue("d_ordering_key", NpgsqlDbType.Array | NpgsqlDbType.Text, orderingKeys);
    }

    private static WebhookDelivery ReadDelivery(NpgsqlDataReader r) => new()
    {
        Id = r.GetString(0),
        MessageId = r.GetString(1),
        SubscriptionId = r.GetString(2),
        EventType = r.GetString(3),
        Status = (WebhookDeliveryStatus)r.GetInt16(4),
        AttemptCount = r.GetInt32(5),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(6),
        NextAttemptAt = NullableTime(r, 7),
        LastAttemptAt = NullableTime(r, 8),
        LastStatusCode = r.IsDBNull(9) ? null : r.GetInt32(9),
        LastError = r.IsDBNull(10) ? null : r.GetString(10),
        Owner = r.IsDBNull(11) ? null : r.GetString(11),
        OrderingKey = r.IsDBNull(12) ? null : r.GetString(12),
    };

    private static DateTimeOffset? NullableTime(NpgsqlDataReader r, int ordinal) =>
        r.IsDBNull(ordinal) ? null : r.GetFieldValue<DateTimeOffset>(ordinal);

    private async Task<NpgsqlDataReader> ExecuteReaderAsync(NpgsqlCommand command, string doing, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw db.Explain(ex, doing);
        }
    }

    private async Task<int> ExecuteCountAsync(NpgsqlCommand command, string doing, CancellationToken cancellationToken)
    {
        await using var r = await ExecuteReaderAsync(command, doing, cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
    }
}
