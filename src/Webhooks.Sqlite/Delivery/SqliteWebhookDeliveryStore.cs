using System.Text;
using Microsoft.Data.Sqlite;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Sqlite.Schema;

namespace Webhooks.Sqlite.Delivery;

/// <summary>
/// The delivery queue, log, administration, statistics and retention in SQLite. Every write is one
/// <c>BEGIN IMMEDIATE</c> transaction behind the database's write gate, so a check and the write it
/// guards (a lease, an idempotency key, a status) can never interleave with another write.
/// Due times and lease expiry are on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class SqliteWebhookDeliveryStore(SqliteWebhookDatabase database)
    : IWebhookDeliveryStore, IWebhookDeliveryLog, IWebhookDeliveryAdministration, IWebhookDeliveryStatistics, IWebhookDeliveryRetention, IWebhookDeliveryBacklog, IWebhookDeliveryOrdering
{
    internal const string LeaseSql = $"""
        SELECT {DeliveryColumns}, m.timestamp, m.created_at, m.idempotency_key, m.idempotency_expires_at, m.payload, m.trace_parent, m.trace_state
        FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE d.status = 0 AND d.due <= $now
          AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id
               AND e.ordering_key = d.ordering_key AND e.status = 0 AND e.rowid < d.rowid))
        ORDER BY d.due LIMIT $max;
        """;

    private const string DeliveryColumns =
        "d.id, d.message_id, d.subscription_id, d.event_type, d.owner, d.status, d.attempt_count, d.created_at, d.due, d.last_attempt_at, d.last_status_code, d.last_error, d.ordering_key";

    public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(deliveries);
        if (context is not null)
        {
            throw new WebhookException($"The SQLite webhook store cannot write through a {context.GetType().Name}: it keeps its own file and has no transactional outbox. Publish without the context.");
        }

        return database.WriteAsync(connection =>
        {
            if (message.IdempotencyKey is not null)
            {
                using var find = connection.Command("""
                    SELECT m.id, (SELECT count(*) FROM deliveries d WHERE d.message_id = m.id) FROM messages m
                    WHERE m.owner IS $owner AND m.idempotency_key = $key AND m.idempotency_expires_at > $created LIMIT 1;
                    """, ("$owner", message.Owner), ("$key", message.IdempotencyKey), ("$created", message.CreatedAt.UtcTicks));
                using var earlier = find.ExecuteReader();
                if (earlier.Read())
                {
                    return new WebhookEnqueueResult(earlier.GetString(0), earlier.GetInt32(1), IsDuplicate: true);
                }
            }

            connection.Execute("""
                INSERT INTO messages (id, event_type, timestamp, created_at, owner, idempotency_key, idempotency_expires_at, payload, trace_parent, trace_state)
                VALUES ($id, $type, $timestamp, $created, $owner, $key, $expires, $payload, $traceparent, $tracestate);
                """, ("$id", message.Id), ("$type", message.EventType), ("$timestamp", message.Timestamp.UtcTicks), ("$created", message.CreatedAt.UtcTicks),
                ("$owner", message.Owner), ("$key", message.IdempotencyKey), ("$expires", message.IdempotencyExpiresAt?.UtcTicks), ("$payload", message.Payload.ToArray()),
                ("$traceparent", message.TraceParent), ("$tracestate", message.TraceState));
            using var insert = connection.Command("""
                INSERT INTO deliveries (id, message_id, subscription_id, event_type, owner, status, created_at, due, ordering_key)
                VALUES ($id, $message, $subscription, $type, $owner, 0, $created, $now, $orderingKey);
                """, ("$id", ""), ("$message", message.Id), ("$subscription", ""), ("$type", message.EventType), ("$owner", message.Owner), ("$created", 0L), ("$now", database.Now),
                ("$orderingKey", null));
            foreach (var delivery in deliveries)
            {
                insert.Parameters["$id"].Value = delivery.Id;
                insert.Parameters["$subscription"].Value = delivery.SubscriptionId;
                insert.Parameters["$created"].Value = delivery.CreatedAt.UtcTicks;
                insert.Parameters["$orderingKey"].Value = (object?)delivery.OrderingKey ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }

            return new WebhookEnqueueResult(message.Id, deliveries.Count, IsDuplicate: false);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<WebhookLease>>(connection =>
        {
            var now = database.Now;
            var expires = new DateTimeOffset(now + leaseDuration.Ticks, TimeSpan.Zero);
            var leases = new List<WebhookLease>();
            var messages = new Dictionary<string, WebhookMessage>(StringComparer.Ordinal);
            using (var due = connection.Command(LeaseSql, ("$now", now), ("$max", maxCount)))
            using (var reader = due.ExecuteReader())
            {
                while (reader.Read())
                {
                    var delivery = ReadDelivery(reader);
                    if (!messages.TryGetValue(delivery.MessageId, out var message))
                    {
                        messages[delivery.MessageId] = message = new WebhookMessage
                        {
                            Id = delivery.MessageId,
                            EventType = delivery.EventType,
                            Owner = delivery.Owner,
                            Timestamp = reader.Time(13),
                            CreatedAt = reader.Time(14),
                            IdempotencyKey = reader.Text(15),
                            IdempotencyExpiresAt = reader.TimeOrNull(16),
                            Payload = (byte[])reader.GetValue(17),
                            TraceParent = reader.Text(18),
                            TraceState = reader.Text(19),
                        };
                    }

                    leases.Add(new WebhookLease(delivery, message, Guid.NewGuid().ToString("N"), expires));
                }
            }

            // While leased, due holds the lease's expiry: once it passes, the same query takes the delivery over.
            using var take = connection.Command("UPDATE deliveries SET lease_id = $lease, due = $expires WHERE id = $id;", ("$lease", ""), ("$expires", expires.UtcTicks), ("$id", ""));
            foreach (var lease in leases)
            {
                take.Parameters["$lease"].Value = lease.LeaseId;
                take.Parameters["$id"].Value = lease.Delivery.Id;
                take.ExecuteNonQuery();
            }

            return leases;
        }, cancellationToken);

    public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return database.WriteAsync(connection =>
        {
            long? due = transition.Status == WebhookDeliveryStatus.Pending ? database.Now + transition.RetryDelay.Ticks : null;
            (string, object?)[] fields =
            [
                ("$id", lease.Delivery.Id), ("$lease", lease.LeaseId), ("$status", (int)transition.Status), ("$due", due),
                ("$number", attempt?.Number), ("$started", attempt?.StartedAt.UtcTicks), ("$duration", attempt?.Duration.Ticks), ("$code", attempt?.StatusCode),
                ("$excerpt", attempt?.ResponseExcerpt), ("$kind", (int?)attempt?.ErrorKind), ("$error", attempt?.Error),
                ("$lastError", attempt is null ? transition.Reason : attempt.Error ?? transition.Reason),
            ];
            var moved = connection.Execute("""
                UPDATE deliveries SET status = $status, due = $due, lease_id = NULL, last_error = $lastError,
                    attempt_count = ifnull($number, attempt_count),
                    last_attempt_at = ifnull($started, last_attempt_at),
                    last_status_code = CASE WHEN $number IS NULL THEN last_status_code ELSE $code END
                WHERE id = $id AND status = 0 AND lease_id = $lease;
                """, fields);
            if (moved == 1 && attempt is not null)
            {
                connection.Execute("""
                    INSERT INTO attempts (delivery_id, subscription_id, owner, number, started_at, duration, status_code, response_excerpt, error_kind, error)
                    SELECT id, subscription_id, owner, $number, $started, $duration, $code, $excerpt, $kind, $error FROM deliveries WHERE id = $id;
                    """, fields);
            }

            return moved == 1;
        }, cancellationToken);
    }

    public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return database.WriteAsync(connection => connection.Execute(
            "UPDATE deliveries SET lease_id = NULL, due = $due WHERE id = $id AND status = 0 AND lease_id = $lease;",
            ("$id", lease.Delivery.Id), ("$lease", lease.LeaseId), ("$due", database.Now + delay.Ticks)) == 1, cancellationToken);
    }

    public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder($"SELECT {DeliveryColumns} FROM deliveries d WHERE d.owner IS $owner");
        sql.Append(query.SubscriptionId is null ? "" : " AND d.subscription_id = $subscription");
        sql.Append(query.Status is null ? "" : " AND d.status = $status");
        sql.Append(query.EventType is null ? "" : " AND d.event_type = $type");
        sql.Append(query.Cursor is null ? "" : " AND d.id < $cursor");
        sql.Append(" ORDER BY d.id DESC LIMIT $limit;");
        return database.ReadAsync(connection =>
        {
            using var command = connection.Command(sql.ToString(), ("$owner", query.Owner), ("$subscription", query.SubscriptionId), ("$status", (int?)query.Status),
                ("$type", query.EventType), ("$cursor", query.Cursor), ("$limit", query.Limit + 1));
            var items = new List<WebhookDelivery>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                items.Add(ReadDelivery(reader));
            }

            return WebhookPaging.FromOverfetch(items, query.Limit, d => d.Id);
        }, cancellationToken);
    }

    public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken) =>
        database.ReadAsync(connection =>
        {
            using var read = connection.Command($"SELECT {DeliveryColumns} FROM deliveries d WHERE d.id = $id;", ("$id", deliveryId));
            WebhookDelivery delivery;
            using (var reader = read.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                delivery = ReadDelivery(reader);
            }

            var attempts = new List<WebhookAttempt>();
            using var list = connection.Command(
                "SELECT number, started_at, duration, status_code, response_excerpt, error_kind, error FROM attempts WHERE delivery_id = $id ORDER BY id;", ("$id", deliveryId));
            using var row = list.ExecuteReader();
            while (row.Read())
            {
                attempts.Add(new WebhookAttempt
                {
                    Number = row.GetInt32(0),
                    StartedAt = row.Time(1),
                    Duration = TimeSpan.FromTicks(row.GetInt64(2)),
                    StatusCode = row.Int(3),
                    ResponseExcerpt = row.Text(4),
                    ErrorKind = (WebhookErrorKind)row.GetInt32(5),
                    Error = row.Text(6),
                });
            }

            return new WebhookDeliveryDetails(delivery, attempts);
        }, cancellationToken);

    public Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken) =>
        database.WriteAsync(connection => connection.Execute(
            "UPDATE deliveries SET status = 0, due = $now, lease_id = NULL WHERE id = $id AND status <> 0;",
            ("$id", deliveryId), ("$now", database.Now)) == 1, cancellationToken);

    public Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken) =>
        database.WriteAsync(connection => connection.Execute( // "+status": find them by subscription, not among every failed delivery
            "UPDATE deliveries SET status = 0, due = $now, lease_id = NULL WHERE subscription_id = $subscription AND +status = 2 AND created_at >= $since;",
            ("$subscription", subscriptionId), ("$since", since.UtcTicks), ("$now", database.Now)), cancellationToken);

    public Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(WebhookStatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        long start = query.Start.UtcTicks, width = query.BucketWidth.Ticks;
        var subscription = query.SubscriptionId is null ? "" : " AND subscription_id = $subscription";
        return database.ReadAsync<IReadOnlyList<WebhookStatsBucket>>(connection =>
        {
            var counts = new (int Succeeded, int Failed)[query.BucketCount];
            using var command = connection.Command($"""
                SELECT (started_at - $start) / $width, sum(error_kind = 0), sum(error_kind <> 0) FROM attempts
                WHERE owner IS $owner{subscription} AND started_at >= $start AND started_at < $end GROUP BY 1;
                """, ("$owner", query.Owner), ("$subscription", query.SubscriptionId), ("$start", start), ("$width", width), ("$end", start + (width * query.BucketCount)));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                counts[reader.GetInt32(0)] = (reader.GetInt32(1), reader.GetInt32(2));
            }

            return counts.Select((c, i) => new WebhookStatsBucket(query.Start + (query.BucketWidth * i), c.Succeeded, c.Failed)).ToArray();
        }, cancellationToken);
    }

    public Task<int> PurgeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken) =>
        database.WriteAsync(connection =>
        {
            // One transaction behind the write gate: nothing can make these pending between the check and the delete.
            var removed = connection.Execute(
                "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> 0 AND created_at < $cutoff LIMIT $batch);", // attempts cascade
                ("$cutoff", cutoff.UtcTicks), ("$batch", batchSize));
            connection.Execute("""
                DELETE FROM messages WHERE id IN (
                    SELECT m.id FROM messages m WHERE m.created_at < $cutoff AND ifnull(m.idempotency_expires_at, 0) < $cutoff
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id) LIMIT $batch);
                """, ("$cutoff", cutoff.UtcTicks), ("$batch", batchSize));
            return removed;
        }, cancellationToken);

    public Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(connection =>
        {
            // Both from the (status, due) index: the pending rows only, due holding a held lease's expiry.
            var now = database.Now;
            // A delivery waiting behind an earlier one of its ordering key is not due (not leasable).
            using var command = connection.Command("""
                SELECT (SELECT count(*) FROM deliveries WHERE status = 0),
                       (SELECT min(d.due) FROM deliveries d WHERE d.status = 0
                        AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id
                             AND e.ordering_key = d.ordering_key AND e.status = 0 AND e.rowid < d.rowid)));
                """);
            using var reader = command.ExecuteReader();
            reader.Read();
            var oldest = reader.IsDBNull(1) ? (long?)null : reader.GetInt64(1);
            return new WebhookBacklog(
                reader.GetInt64(0),
                oldest <= now ? new DateTimeOffset(oldest.Value, TimeSpan.Zero) : null,
                new DateTimeOffset(now, TimeSpan.Zero));
        }, cancellationToken);

    private static WebhookDelivery ReadDelivery(SqliteDataReader reader)
    {
        var status = (WebhookDeliveryStatus)reader.GetInt32(5);
        return new WebhookDelivery
        {
            Id = reader.GetString(0),
            MessageId = reader.GetString(1),
            SubscriptionId = reader.GetString(2),
            EventType = reader.GetString(3),
            Owner = reader.Text(4),
            Status = status,
            AttemptCount = reader.GetInt32(6),
            CreatedAt = reader.Time(7),
            NextAttemptAt = status == WebhookDeliveryStatus.Pending ? reader.TimeOrNull(8) : null,
            LastAttemptAt = reader.TimeOrNull(9),
            LastStatusCode = reader.Int(10),
            LastError = reader.Text(11),
            OrderingKey = reader.Text(12),
        };
    }
}
