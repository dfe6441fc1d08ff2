using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;

namespace Webhooks.Testing.Tests.Stores;

/// <summary>
/// The simplest correct delivery store with every capability: one lock around dictionaries, due
/// times on <see cref="TimeProvider.System"/>. It lets the suites be checked on their own (they
/// must pass against it) and is what the broken decorators wrap.
/// </summary>
internal sealed class ReferenceDeliveryStore :
    IWebhookDeliveryStore, IWebhookDeliveryLog, IWebhookDeliveryAdministration, IWebhookDeliveryStatistics, IWebhookDeliveryRetention
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WebhookMessage> _messages = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Row> _deliveries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = TimeProvider.System;

    public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (context is not null)
        {
            throw new WebhookException("This store writes through no transaction; pass no context.");
        }

        lock (_gate)
        {
            if (message.IdempotencyKey is not null)
            {
                var earlier = _messages.Values.FirstOrDefault(m =>
                    m.Owner == message.Owner && m.IdempotencyKey == message.IdempotencyKey && m.IdempotencyExpiresAt > message.CreatedAt);
                if (earlier is not null)
                {
                    return Task.FromResult(new WebhookEnqueueResult(earlier.Id, _deliveries.Values.Count(r => r.Delivery.MessageId == earlier.Id), true));
                }
            }

            var now = _clock.GetUtcNow();
            _messages[message.Id] = message;
            foreach (var d in deliveries)
            {
                _deliveries[d.Id] = new Row(d with { Owner = message.Owner, Status = WebhookDeliveryStatus.Pending, AttemptCount = 0 }, now);
            }

            return Task.FromResult(new WebhookEnqueueResult(message.Id, deliveries.Count, false));
        }
    }

    public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            var due = _deliveries.Values
                .Where(r => r.Delivery.Status == WebhookDeliveryStatus.Pending && r.EffectiveDue <= now)
                .OrderBy(r => r.EffectiveDue).ThenBy(r => r.Delivery.Id, StringComparer.Ordinal)
                .Take(maxCount)
                .ToList();
            IReadOnlyList<WebhookLease> leases = [.. due.Select(r =>
            {
                r.LeaseId = Guid.NewGuid().ToString("N");
                r.LeaseExpiresAt = now + leaseDuration;
                return new WebhookLease(r.Snapshot(), _messages[r.Delivery.MessageId], r.LeaseId, r.LeaseExpiresAt.Value);
            })];
            return Task.FromResult(leases);
        }
    }

    public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!IsHeld(lease, out var row))
            {
                return Task.FromResult(false);
            }

            var d = row.Delivery with { Status = transition.Status };
            if (attempt is not null)
            {
                row.Attempts.Add(attempt);
                d = d with { AttemptCount = attempt.Number, LastAttemptAt = attempt.StartedAt, LastStatusCode = attempt.StatusCode, LastError = attempt.Error };
            }
            else
            {
                d = d with { LastError = transition.Reason };
            }

            row.Delivery = d;
            row.DueAt = _clock.GetUtcNow() + transition.RetryDelay;
            row.LeaseId = null;
            row.LeaseExpiresAt = null;
            return Task.FromResult(true);
        }
    }

    public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!IsHeld(lease, out var row))
            {
                return Task.FromResult(false);
            }

            row.DueAt = _clock.GetUtcNow() + delay;
            row.LeaseId = null;
            row.LeaseExpiresAt = null;
            return Task.FromResult(true);
        }
    }

    public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var items = _deliveries.Values.Reverse()
                .Select(r => r.Snapshot())
                .Where(d => d.Owner == query.Owner)
                .Where(d => query.SubscriptionId is null || d.SubscriptionId == query.SubscriptionId)
                .Where(d => query.Status is null || d.Status == query.Status)
                .Where(d => query.EventType is null || d.EventType == query.EventType)
                .Where(d => query.Cursor is null || string.CompareOrdinal(d.Id, query.Cursor) < 0)
                .Take(query.Limit + 1)
                .ToList();
            return Task.FromResult(WebhookPaging.FromOverfetch(items, query.Limit, d => d.Id));
        }
    }

    public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_deliveries.TryGetValue(deliveryId, out var row)
                ? new WebhookDeliveryDetails(row.Snapshot(), [.. row.Attempts])
                : null);
        }
    }

    public Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(deliveryId, out var row) || row.Delivery.Status == WebhookDeliveryStatus.Pending)
            {
                return Task.FromResult(false);
            }

            MakeDueNow(row);
            return Task.FromResult(true);
        }
    }

    public Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var rows = _deliveries.Values
                .Where(r => r.Delivery.SubscriptionId == subscriptionId && r.Delivery.Status == WebhookDeliveryStatus.Failed && r.Delivery.CreatedAt >= since)
                .ToList();
            rows.ForEach(MakeDueNow);
            return Task.FromResult(rows.Count);
        }
    }

    public Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(WebhookStatsQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var ok = new int[query.BucketCount];
            var failed = new int[query.BucketCount];
            foreach (var row in _deliveries.Values.Where(r => r.Delivery.Owner == query.Owner && (query.SubscriptionId is null || r.Delivery.SubscriptionId == query.SubscriptionId)))
            {
                foreach (var attempt in row.Attempts)
                {
                    if (attempt.StartedAt < query.Start)
                    {
                        continue;
                    }

                    long i = (attempt.StartedAt - query.Start).Ticks / query.BucketWidth.Ticks;
                    if (i < query.BucketCount)
                    {
                        (attempt.Succeeded ? ok : failed)[i]++;
                    }
                }
            }

            IReadOnlyList<WebhookStatsBucket> buckets = [.. Enumerable.Range(0, query.BucketCount).Select(i => new WebhookStatsBucket(query.Start + (i * query.BucketWidth), ok[i], failed[i]))];
            return Task.FromResult(buckets);
        }
    }

    public Task<int> PurgeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var gone = _deliveries.Values
                .Where(r => r.Delivery.Status != WebhookDeliveryStatus.Pending && r.Delivery.CreatedAt < cutoff)
                .Take(batchSize)
                .ToList();
            foreach (var row in gone)
            {
                _deliveries.Remove(row.Delivery.Id);
            }

            var used = _deliveries.Values.Select(r => r.Delivery.MessageId).ToHashSet(StringComparer.Ordinal);
            foreach (var m in _messages.Values.Where(m => m.CreatedAt < cutoff && !used.Contains(m.Id) && !(m.IdempotencyExpiresAt > cutoff)).ToList())
            {
                _messages.Remove(m.Id);
            }

            return Task.FromResult(gone.Count);
        }
    }

    private bool IsHeld(WebhookLease lease, out Row row) =>
        _deliveries.TryGetValue(lease.Delivery.Id, out row!) && row.Delivery.Status == WebhookDeliveryStatus.Pending && row.LeaseId == lease.LeaseId;

    private void MakeDueNow(Row row)
    {
        row.Delivery = row.Delivery with { Status = WebhookDeliveryStatus.Pending };
        row.DueAt = _clock.GetUtcNow();
        row.LeaseId = null;
        row.LeaseExpiresAt = null;
    }

    private sealed class Row(WebhookDelivery delivery, DateTimeOffset dueAt)
    {
        public WebhookDelivery Delivery { get; set; } = delivery;

        public DateTimeOffset DueAt { get; set; } = dueAt;

        public string? LeaseId { get; set; }

        public DateTimeOffset? LeaseExpiresAt { get; set; }

        public List<WebhookAttempt> Attempts { get; } = [];

        public DateTimeOffset EffectiveDue => LeaseExpiresAt ?? DueAt;

        public WebhookDelivery Snapshot() =>
            Delivery with { NextAttemptAt = Delivery.Status == WebhookDeliveryStatus.Pending ? EffectiveDue : null };
    }
}
