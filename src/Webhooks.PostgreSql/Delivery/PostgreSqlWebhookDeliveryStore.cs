using System.Text;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.PostgreSql.Outbox;
using Webhooks.PostgreSql.Schema;

namespace Webhooks.PostgreSql.Delivery;

/// <summary>
/// The delivery queue and attempt log in PostgreSQL, shared by every instance. Each operation is one
/// statement (one round trip): the fan-out insert of a message and its deliveries, leasing with
/// <c>FOR UPDATE SKIP LOCKED</c> (so concurrent dispatchers never take the same row) and a lease
/// expiry (so a crashed instance's deliveries are taken over), and recording an attempt together
/// with the delivery's move, the stats counter and the subscription's health. Enqueues, redeliveries
/// and recoveries <c>NOTIFY</c> the schema's channel on commit, which wakes idle dispatchers.
/// </summary>
internal sealed class PostgreSqlWebhookDeliveryStore(PostgreSqlWebhookDatabase db) : IWebhookDeliveryStore
{
    private const string DeliveryColumns =
        "id, message_id, subscription_id, event_type, status, attempt_count, created_at, " +
        "CASE WHEN status = 0 THEN coalesce(lease_expires_at, next_attempt_at) END, last_attempt_at, last_status_code, last_error";

    // Notifies only when deliveries were inserted; the notification goes out when the transaction commits.
    private const string EnqueueTemplate = """
        WITH k AS (
            {key}
        ), m AS (
            INSERT INTO {s}.messages (id, event_type, "timestamp", owner, idempotency_key, idempotency_expires_at, payload)
            SELECT @id, @event_type, @timestamp, @owner, @key, @idempotency_expires_at, @payload
            WHERE EXISTS (SELECT 1 FROM k)
        ), d AS (
            INSERT INTO {s}.deliveries (id, message_id, subscription_id, event_type, status, attempt_count, created_at, next_attempt_at)
            SELECT u.id, @id, u.subscription_id, @event_type, u.status, u.attempt_count, u.created_at, u.due
            FROM unnest(@d_id::text[], @d_subscription::text[], @d_status::smallint[], @d_attempts::integer[], @d_created::timestamptz[], @d_due::timestamptz[])
                AS u(id, subscription_id, status, attempt_count, created_at, due)
            WHERE EXISTS (SELECT 1 FROM k)
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM d)) AS x
        )
        SELECT EXISTS (SELECT 1 FROM k), (SELECT count(*) FROM n)
        """;

    private const string ClaimKey = """
        INSERT INTO {s}.idempotency_keys AS k (owner_key, key, message_id, delivery_count, expires_at)
            VALUES (@owner_key, @key, @id, @count, @key_expires_at)
            ON CONFLICT (owner_key, key) DO UPDATE
                SET message_id = excluded.message_id, delivery_count = excluded.delivery_count, expires_at = excluded.expires_at
                WHERE k.expires_at <= @timestamp
            RETURNING 1
        """;

    private readonly string _enqueue = db.Sql(EnqueueTemplate.Replace("{key}", "SELECT 1", StringComparison.Ordinal));

    private readonly string _enqueueWithKey = db.Sql(EnqueueTemplate.Replace("{key}", ClaimKey, StringComparison.Ordinal));

    private readonly string _earlierKey = db.Sql("SELECT message_id, delivery_count FROM {s}.idempotency_keys WHERE owner_key = @owner_key AND key = @key");

    // The payload travels once per message, however many of its deliveries are in the batch.
    private readonly string _lease = db.Sql("""
        WITH due AS (
            SELECT id, coalesce(lease_expires_at, next_attempt_at) AS due_at
            FROM {s}.deliveries
            WHERE status = 0 AND coalesce(lease_expires_at, next_attempt_at) <= @now
            ORDER BY coalesce(lease_expires_at, next_attempt_at), id
            LIMIT @max
            FOR UPDATE SKIP LOCKED
        ), leased AS (
            UPDATE {s}.deliveries AS d
            SET lease_id = @lease_id, lease_expires_at = @expires_at
            FROM due
            WHERE d.id = due.id
            RETURNING d.id, d.message_id, d.subscription_id, d.event_type, d.attempt_count, d.created_at,
                      d.last_attempt_at, d.last_status_code, d.last_error, due.due_at
        )
        SELECT l.id, l.message_id, l.subscription_id, l.event_type, l.attempt_count, l.created_at,
               l.last_attempt_at, l.last_status_code, l.last_error, l.due_at,
               m.event_type, m."timestamp", m.owner, m.idempotency_key, m.idempotency_expires_at,
               CASE WHEN row_number() OVER (PARTITION BY l.message_id ORDER BY l.id) = 1 THEN m.payload END
        FROM leased AS l JOIN {s}.messages AS m ON m.id = l.message_id
        ORDER BY l.due_at, l.id
        """);

    private readonly string _record = db.Sql("""
        WITH d AS (
            UPDATE {s}.deliveries
            SET status = @status, attempt_count = @number, last_attempt_at = @started_at, last_status_code = @status_code,
                last_error = @error, next_attempt_at = @next_attempt_at, lease_id = NULL, lease_expires_at = NULL
            WHERE id = @id AND lease_id = @lease_id
            RETURNING subscription_id
        ), a AS (
            INSERT INTO {s}.attempts (delivery_id, number, started_at, duration, status_code, response_excerpt, error_kind, error)
            SELECT @id, @number, @started_at, @duration, @status_code, @response_excerpt, @error_kind, @error FROM d
        ), st AS (
            INSERT INTO {s}.stats AS st (subscription_id, minute, succeeded, failed)
            SELECT subscription_id, @minute, @ok, @failed FROM d WHERE @counted
            ON CONFLICT (subscription_id, minute) DO UPDATE SET succeeded = st.succeeded + excluded.succeeded, failed = st.failed + excluded.failed
        ), failing AS (
            INSERT INTO {s}.health AS h (subscription_id, failing_since, failures)
            SELECT subscription_id, @started_at, 1 FROM d WHERE @counted AND NOT @succeeded
            ON CONFLICT (subscription_id) DO UPDATE SET failures = h.failures + 1
            RETURNING failing_since, failures
        ), recovered AS (
            DELETE FROM {s}.health WHERE @counted AND @succeeded AND subscription_id = (SELECT subscription_id FROM d)
            RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM d),
               (SELECT failing_since FROM failing), (SELECT failures FROM failing),
               EXISTS (SELECT 1 FROM recovered),
               (SELECT failing_since FROM {s}.health WHERE NOT @counted AND subscription_id = (SELECT subscription_id FROM d))
        """);

    // Released for now (shutdown): wake the other instances; released for later (busy receiver): polling finds it.
    private readonly string _release = db.Sql("""
        WITH u AS (
            UPDATE {s}.deliveries SET lease_id = NULL, lease_expires_at = NULL, next_attempt_at = @due
            WHERE id = @id AND lease_id = @lease_id AND status = 0
            RETURNING 1
        )
        SELECT pg_notify(@channel, '') FROM u WHERE @due <= clock_timestamp()
        """);

    private readonly string _get = db.Sql($"""
        SELECT {DeliveryColumns} FROM {"{s}"}.deliveries WHERE id = @id;
        SELECT number, started_at, duration, status_code, response_excerpt, error_kind, error FROM {"{s}"}.attempts WHERE delivery_id = @id ORDER BY seq
        """);

    private readonly string _redeliver = db.Sql("""
        WITH u AS (
            UPDATE {s}.deliveries SET status = 0, next_attempt_at = @now, lease_id = NULL, lease_expires_at = NULL
            WHERE id = @id AND status <> 0
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM u)) AS x
        )
        SELECT (SELECT count(*) FROM u)::integer, (SELECT count(*) FROM n)
        """);

    private readonly string _requeueFailed = db.Sql("""
        WITH u AS (
            UPDATE {s}.deliveries SET status = 0, next_attempt_at = @now, lease_id = NULL, lease_expires_at = NULL
            WHERE subscription_id = @subscription_id AND status = 2 AND created_at >= @since
            RETURNING 1
        ), n AS (
            SELECT pg_notify(@channel, '') FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM u)) AS x
        )
        SELECT (SELECT count(*) FROM u)::integer, (SELECT count(*) FROM n)
        """);

    private readonly string _stats = db.Sql("""
        SELECT minute / @width * @width, sum(succeeded)::integer, sum(failed)::integer
        FROM {s}.stats
        WHERE subscription_id = @subscription_id AND minute >= @first AND minute < @end
        GROUP BY 1
        """);

    public async Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(deliveries);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);

        // Inside PublishAsync(…, transaction): write through the app's transaction, so its rollback drops the webhook.
        var outbox = PostgreSqlOutboxScope.Take();
        NpgsqlConnection? connection = null;
        try
        {
            NpgsqlCommand command;
            if (outbox is not null)
            {
                command = new NpgsqlCommand(null, outbox.Connection ?? throw PostgreSqlOutboxScope.Completed(), outbox);
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
                bool stored;
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    stored = reader.GetBoolean(0);
                }

                if (stored || key is null)
                {
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
                        throw new InvalidOperationException($"Idempotency key '{key}' was neither stored nor found; retry the publish.");
                    }

                    return new WebhookEnqueueResult(reader.GetString(0), reader.GetInt32(1), IsDuplicate: true);
                }
            }
        }
        catch (PostgresException ex)
        {
            throw db.Explain(ex, "enqueueing a message");
        }
        catch (InvalidOperationException ex) when (outbox is not null)
        {
            // Npgsql refuses a committed or rolled-back transaction before sending anything.
            throw PostgreSqlOutboxScope.Completed(ex);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        if (maxCount <= 0)
        {
            return [];
        }

        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var leaseId = "lease_" + Guid.NewGuid().ToString("N");
        var expiresAt = (now + leaseDuration).ToUniversalTime();
        await using var command = db.DataSource.CreateCommand(_lease);
        command.Parameters.AddWithValue("now", now.ToUniversalTime());
        command.Parameters.AddWithValue("max", maxCount);
        command.Parameters.AddWithValue("lease_id", leaseId);
        command.Parameters.AddWithValue("expires_at", expiresAt);

        var rows = new List<(WebhookDelivery Delivery, string MessageId)>();
        var messages = new Dictionary<string, WebhookMessage>(StringComparer.Ordinal);
        await using (var r = await ExecuteReaderAsync(command, "leasing deliveries", cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var messageId = r.GetString(1);
                var eventType = r.GetString(3);
                rows.Add((new WebhookDelivery
                {
                    Id = r.GetString(0),
                    MessageId = messageId,
                    SubscriptionId = r.GetString(2),
                    EventType = eventType,
                    Status = WebhookDeliveryStatus.Pending,
                    AttemptCount = r.GetInt32(4),
                    CreatedAt = r.GetFieldValue<DateTimeOffset>(5),
                    LastAttemptAt = NullableTime(r, 6),
                    LastStatusCode = r.IsDBNull(7) ? null : r.GetInt32(7),
                    LastError = r.IsDBNull(8) ? null : r.GetString(8),
                    NextAttemptAt = r.GetFieldValue<DateTimeOffset>(9),
                }, messageId));
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
                    };
                }
            }
        }

        var leases = new WebhookLease[rows.Count];
        for (int i = 0; i < leases.Length; i++)
        {
            leases[i] = new WebhookLease(rows[i].Delivery, messages[rows[i].MessageId], leaseId, expiresAt);
        }

        return leases;
    }

    public async Task<WebhookAttemptRecorded> RecordAttemptAsync(WebhookLease lease, WebhookAttempt attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(attempt);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        bool counted = attempt.ErrorKind != WebhookErrorKind.SubscriptionUnavailable;
        var startedAt = attempt.StartedAt.ToUniversalTime();
        DateTimeOffset? next = transition.Status == WebhookDeliveryStatus.Pending ? (transition.NextAttemptAt ?? attempt.StartedAt).ToUniversalTime() : null;

        await using var command = db.DataSource.CreateCommand(_record);
        var p = command.Parameters;
        p.AddWithValue("id", lease.Delivery.Id);
        p.AddWithValue("lease_id", lease.LeaseId);
        p.AddWithValue("status", (short)transition.Status);
        p.AddWithValue("number", attempt.Number);
        p.AddWithValue("started_at", startedAt);
        p.AddWithValue("status_code", NpgsqlDbType.Integer, (object?)attempt.StatusCode ?? DBNull.Value);
        p.AddWithValue("error", NpgsqlDbType.Text, (object?)attempt.Error ?? DBNull.Value);
        p.AddWithValue("next_attempt_at", NpgsqlDbType.TimestampTz, (object?)next ?? DBNull.Value);
        p.AddWithValue("duration", attempt.Duration);
        p.AddWithValue("response_excerpt", NpgsqlDbType.Text, (object?)attempt.ResponseExcerpt ?? DBNull.Value);
        p.AddWithValue("error_kind", (short)attempt.ErrorKind);
        p.AddWithValue("minute", startedAt.ToUnixTimeSeconds() / 60);
        p.AddWithValue("ok", attempt.Succeeded ? 1 : 0);
        p.AddWithValue("failed", attempt.Succeeded ? 0 : 1);
        p.AddWithValue("counted", counted);
        p.AddWithValue("succeeded", attempt.Succeeded);

        await using var r = await ExecuteReaderAsync(command, "recording an attempt", cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (!r.GetBoolean(0))
        {
            return new WebhookAttemptRecorded(LeaseHeld: false, FailingSince: null, WasFailing: false);
        }

        if (!counted)
        {
            var current = NullableTime(r, 4);
            return new WebhookAttemptRecorded(true, current, current is not null);
        }

        return attempt.Succeeded
            ? new WebhookAttemptRecorded(true, null, WasFailing: r.GetBoolean(3))
            : new WebhookAttemptRecorded(true, r.GetFieldValue<DateTimeOffset>(1), WasFailing: r.GetInt64(2) > 1);
    }

    public async Task ReleaseAsync(WebhookLease lease, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_release);
        command.Parameters.AddWithValue("id", lease.Delivery.Id);
        command.Parameters.AddWithValue("lease_id", lease.LeaseId);
        command.Parameters.AddWithValue("due", dueAt.ToUniversalTime());
        command.Parameters.AddWithValue("channel", db.Channel);
        await ExecuteNonQueryAsync(command, "releasing a lease", cancellationToken).ConfigureAwait(false);
    }

    public async Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var limit = Math.Clamp(query.Limit, 1, 500);

        // Filters are added only when given, so each shape gets a plan on (subscription_id[, status], id).
        var sql = new StringBuilder(db.Sql($"SELECT {DeliveryColumns} FROM {"{s}"}.deliveries WHERE subscription_id = @subscription_id"));
        await using var command = db.DataSource.CreateCommand();
        command.Parameters.AddWithValue("subscription_id", query.SubscriptionId);
        if (query.Status is { } status)
        {
            sql.Append(" AND status = @status");
            command.Parameters.AddWithValue("status", (short)status);
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

        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Id;
        }

        return new WebhookPage<WebhookDelivery>(items, next);
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

    public async Task<bool> RedeliverAsync(string deliveryId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveryId);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_redeliver);
        command.Parameters.AddWithValue("id", deliveryId);
        command.Parameters.AddWithValue("now", now.ToUniversalTime());
        command.Parameters.AddWithValue("channel", db.Channel);
        return await ExecuteCountAsync(command, "redelivering", cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_requeueFailed);
        command.Parameters.AddWithValue("subscription_id", subscriptionId);
        command.Parameters.AddWithValue("since", since.ToUniversalTime());
        command.Parameters.AddWithValue("now", now.ToUniversalTime());
        command.Parameters.AddWithValue("channel", db.Channel);
        return await ExecuteCountAsync(command, "requeueing failed deliveries", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(string subscriptionId, DateTimeOffset windowStart, DateTimeOffset windowEnd, TimeSpan bucket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);

        // Buckets are aligned on multiples of their width since the Unix epoch, as the in-memory store does.
        var width = (long)Math.Max(1, Math.Round(bucket.TotalMinutes));
        long first = windowStart.ToUnixTimeSeconds() / 60 / width * width;
        long last = windowEnd.ToUnixTimeSeconds() / 60;
        long count = Math.Min(10_000, first > last ? 0 : ((last - first) / width) + 1);
        await using var command = db.DataSource.CreateCommand(_stats);
        command.Parameters.AddWithValue("subscription_id", subscriptionId);
        command.Parameters.AddWithValue("width", width);
        command.Parameters.AddWithValue("first", first);
        command.Parameters.AddWithValue("end", first + (count * width));
        var counts = new Dictionary<long, (int Ok, int Failed)>();
        await using (var r = await ExecuteReaderAsync(command, "reading stats", cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[r.GetInt64(0)] = (r.GetInt32(1), r.GetInt32(2));
            }
        }

        var buckets = new WebhookStatsBucket[count];
        for (int i = 0; i < count; i++)
        {
            long start = first + (i * width);
            counts.TryGetValue(start, out var c);
            buckets[i] = new WebhookStatsBucket(DateTimeOffset.FromUnixTimeSeconds(start * 60), c.Ok, c.Failed);
        }

        return buckets;
    }

    /// <summary>
    /// Removes, in batches of <paramref name="batchSize"/>: messages created before <paramref name="cutoff"/> with no
    /// delivery still pending (their deliveries and attempts go with them), attempts started before it, expired
    /// idempotency keys, and stats older than <paramref name="statsCutoff"/>. Instances running it at once skip each
    /// other's rows instead of waiting.
    /// </summary>
    internal async Task<PurgeResult> PurgeAsync(DateTimeOffset cutoff, DateTimeOffset statsCutoff, DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        int messages = await DeleteInBatchesAsync(db.Sql("""
            DELETE FROM {s}.messages WHERE id IN (
                SELECT m.id FROM {s}.messages AS m
                WHERE m.created_at < @cutoff
                  AND NOT EXISTS (SELECT 1 FROM {s}.deliveries AS d WHERE d.message_id = m.id AND d.status = 0)
                ORDER BY m.created_at
                LIMIT @batch
                FOR UPDATE SKIP LOCKED)
            """), cutoff, batchSize, cancellationToken).ConfigureAwait(false);
        int attempts = await DeleteInBatchesAsync(db.Sql("""
            DELETE FROM {s}.attempts WHERE seq IN (
                SELECT seq FROM {s}.attempts WHERE started_at < @cutoff ORDER BY started_at LIMIT @batch FOR UPDATE SKIP LOCKED)
            """), cutoff, batchSize, cancellationToken).ConfigureAwait(false);
        int keys = await DeleteInBatchesAsync(db.Sql("""
            DELETE FROM {s}.idempotency_keys WHERE (owner_key, key) IN (
                SELECT owner_key, key FROM {s}.idempotency_keys WHERE expires_at < @cutoff ORDER BY expires_at LIMIT @batch FOR UPDATE SKIP LOCKED)
            """), now, batchSize, cancellationToken).ConfigureAwait(false);
        int stats = await DeleteInBatchesAsync(db.Sql("""
            DELETE FROM {s}.stats WHERE (subscription_id, minute) IN (
                SELECT subscription_id, minute FROM {s}.stats WHERE minute < @cutoff_minute ORDER BY minute LIMIT @batch FOR UPDATE SKIP LOCKED)
            """), statsCutoff, batchSize, cancellationToken).ConfigureAwait(false);
        return new PurgeResult(messages, attempts, keys, stats);
    }

    private async Task<int> DeleteInBatchesAsync(string sql, DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        int total = 0;
        while (true)
        {
            await using var command = db.DataSource.CreateCommand(sql);
            command.Parameters.AddWithValue("cutoff", cutoff.ToUniversalTime());
            command.Parameters.AddWithValue("cutoff_minute", cutoff.ToUnixTimeSeconds() / 60);
            command.Parameters.AddWithValue("batch", batchSize);
            int deleted = await ExecuteNonQueryAsync(command, "removing old webhook data", cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < batchSize)
            {
                return total;
            }
        }
    }

    private void AddEnqueueParameters(NpgsqlCommand command, WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries)
    {
        var p = command.Parameters;
        var timestamp = message.Timestamp.ToUniversalTime();
        p.AddWithValue("id", message.Id);
        p.AddWithValue("event_type", message.EventType);
        p.AddWithValue("timestamp", timestamp);
        p.AddWithValue("owner", NpgsqlDbType.Text, (object?)message.Owner ?? DBNull.Value);
        p.AddWithValue("key", NpgsqlDbType.Text, (object?)message.IdempotencyKey ?? DBNull.Value);
        p.AddWithValue("idempotency_expires_at", NpgsqlDbType.TimestampTz, (object?)message.IdempotencyExpiresAt?.ToUniversalTime() ?? DBNull.Value);
        p.AddWithValue("payload", NpgsqlDbType.Bytea, message.Payload);
        p.AddWithValue("channel", db.Channel);
        if (message.IdempotencyKey is not null)
        {
            p.AddWithValue("owner_key", message.Owner ?? "");
            p.AddWithValue("count", deliveries.Count);
            p.AddWithValue("key_expires_at", (message.IdempotencyExpiresAt ?? message.Timestamp).ToUniversalTime());
        }

        var ids = new string[deliveries.Count];
        var subscriptions = new string[deliveries.Count];
        var statuses = new short[deliveries.Count];
        var attempts = new int[deliveries.Count];
        var created = new DateTimeOffset[deliveries.Count];
        var due = new DateTimeOffset[deliveries.Count];
        for (int i = 0; i < deliveries.Count; i++)
        {
            var d = deliveries[i];
            ids[i] = d.Id;
            subscriptions[i] = d.SubscriptionId;
            statuses[i] = (short)d.Status;
            attempts[i] = d.AttemptCount;
            created[i] = d.CreatedAt.ToUniversalTime();
            due[i] = (d.NextAttemptAt ?? message.Timestamp).ToUniversalTime();
        }

        p.AddWithValue("d_id", ids);
        p.AddWithValue("d_subscription", subscriptions);
        p.AddWithValue("d_status", statuses);
        p.AddWithValue("d_attempts", attempts);
        p.AddWithValue("d_created", created);
        p.AddWithValue("d_due", due);
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

    private async Task<int> ExecuteNonQueryAsync(NpgsqlCommand command, string doing, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        return r.GetInt32(0);
    }
}

/// <summary>What one retention run removed.</summary>
internal readonly record struct PurgeResult(int Messages, int Attempts, int IdempotencyKeys, int StatsRows);
