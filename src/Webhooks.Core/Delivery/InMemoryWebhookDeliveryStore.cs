using Microsoft.Extensions.Options;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The in-process queue and attempt log. Due deliveries sit in a priority queue by due time, so
/// leasing costs O(log n) per delivery; a message's payload is one buffer shared by all its
/// deliveries. Finished deliveries beyond <see cref="WebhookOptions.InMemoryRetainedDeliveries"/>
/// are dropped oldest first; pending ones never are. Everything is lost when the process ends:
/// use a durable store (PostgreSQL) when that matters.
/// </summary>
internal sealed class InMemoryWebhookDeliveryStore(IOptions<WebhookOptions> options) : IWebhookDeliveryStore
{
    private static readonly TimeSpan StatsRetention = TimeSpan.FromDays(31);

    private static readonly Task<WebhookAttemptRecorded> LeaseLost = Task.FromResult(new WebhookAttemptRecorded(false, null, false));
    private static readonly Task<WebhookAttemptRecorded> Healthy = Task.FromResult(new WebhookAttemptRecorded(true, null, false));

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _deliveries = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Entry, (DateTimeOffset Due, long Seq)> _due = new();
    private readonly Dictionary<string, SortedSet<string>> _bySubscription = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Owner, string Key), (string MessageId, int Count, DateTimeOffset ExpiresAt)> _idempotency = [];
    private readonly Dictionary<string, DateTimeOffset> _failingSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<long, (int Ok, int Failed)>> _stats = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long FinishSeq)> _finished = new();
    private long _seq;
    private long _leaseCounter;
    private int _finishedCount;

    public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(deliveries);
        lock (_gate)
        {
            if (message.IdempotencyKey is { } key)
            {
                var k = (message.Owner ?? "", key);
                if (_idempotency.TryGetValue(k, out var seen) && seen.ExpiresAt > message.Timestamp)
                {
                    return Task.FromResult(new WebhookEnqueueResult(seen.MessageId, seen.Count, IsDuplicate: true));
                }

                PruneIdempotency(message.Timestamp);
                _idempotency[k] = (message.Id, deliveries.Count, message.IdempotencyExpiresAt ?? message.Timestamp);
            }

            foreach (var d in deliveries)
            {
                var entry = new Entry(d, message);
                _deliveries.Add(d.Id, entry);
                if (!_bySubscription.TryGetValue(d.SubscriptionId, out var ids))
                {
                    _bySubscription[d.SubscriptionId] = ids = new(StringComparer.Ordinal);
                }

                ids.Add(d.Id);
                Schedule(entry, d.NextAttemptAt ?? message.Timestamp);
            }

            return Task.FromResult(new WebhookEnqueueResult(message.Id, deliveries.Count, IsDuplicate: false));
        }
    }

    public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        List<WebhookLease>? leases = null;
        lock (_gate)
        {
            while ((leases?.Count ?? 0) < maxCount && _due.TryPeek(out var entry, out var priority) && priority.Due <= now)
            {
                _due.Dequeue();
                if (priority.Seq != entry.QueueSeq || entry.Status != WebhookDeliveryStatus.Pending)
                {
                    continue; // stale queue entry: the delivery was rescheduled or finished since
                }

                entry.Lease = ++_leaseCounter;
                entry.LeaseExpiresAt = now + leaseDuration;
                Schedule(entry, entry.LeaseExpiresAt.Value); // taken over again if the holder never reports back
                var leaseId = "lease_" + entry.Lease.ToString(System.Globalization.CultureInfo.InvariantCulture);
                (leases ??= []).Add(new WebhookLease(entry.Snapshot(), entry.Message, leaseId, entry.LeaseExpiresAt.Value));
            }
        }

        return Task.FromResult<IReadOnlyList<WebhookLease>>(leases ?? (IReadOnlyList<WebhookLease>)[]);
    }

    public Task<WebhookAttemptRecorded> RecordAttemptAsync(WebhookLease lease, WebhookAttempt attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(attempt);
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(lease.Delivery.Id, out var entry) || !entry.Holds(lease))
            {
                return LeaseLost;
            }

            entry.Lease = 0;
            entry.LeaseExpiresAt = null;
            entry.AddAttempt(attempt);
            entry.AttemptCount = attempt.Number;
            entry.LastAttemptAt = attempt.StartedAt;
            entry.LastStatusCode = attempt.StatusCode;
            entry.LastError = attempt.Error;
            entry.Status = transition.Status;
            if (transition.Status == WebhookDeliveryStatus.Pending)
            {
                Schedule(entry, transition.NextAttemptAt ?? attempt.StartedAt);
            }
            else
            {
                entry.NextAttemptAt = null;
                entry.QueueSeq = -1;
                MarkFinished(entry);
            }

            var subscriptionId = entry.SubscriptionId;
            if (attempt.ErrorKind == WebhookErrorKind.SubscriptionUnavailable)
            {
                // Nothing was sent: the receiver's health and counts are not affected.
                return Task.FromResult(new WebhookAttemptRecorded(true, _failingSince.TryGetValue(subscriptionId, out var s) ? s : null, _failingSince.ContainsKey(subscriptionId)));
            }

            CountStats(subscriptionId, attempt);
            bool wasFailing = _failingSince.TryGetValue(subscriptionId, out var since);
            DateTimeOffset? failingSince;
            if (attempt.Succeeded)
            {
                _failingSince.Remove(subscriptionId);
                if (!wasFailing)
                {
                    return Healthy; // the common case: no allocation
                }

                failingSince = null;
            }
            else
            {
                failingSince = wasFailing ? since : attempt.StartedAt;
                _failingSince[subscriptionId] = failingSince.Value;
            }

            return Task.FromResult(new WebhookAttemptRecorded(true, failingSince, wasFailing));
        }
    }

    public Task ReleaseAsync(WebhookLease lease, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            if (_deliveries.TryGetValue(lease.Delivery.Id, out var entry) && entry.Holds(lease))
            {
                entry.Lease = 0;
                entry.LeaseExpiresAt = null;
                Schedule(entry, dueAt);
            }
        }

        return Task.CompletedTask;
    }

    public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, 500);
        var items = new List<WebhookDelivery>(Math.Min(limit + 1, 64));
        lock (_gate)
        {
            if (_bySubscription.TryGetValue(query.SubscriptionId, out var ids))
            {
                IEnumerable<string> view = query.Cursor is null
                    ? ids.Reverse()
                    : string.CompareOrdinal(query.Cursor, ids.Min) <= 0
                        ? []
                        : ids.GetViewBetween(ids.Min!, query.Cursor).Reverse().SkipWhile(id => id == query.Cursor);
                foreach (var id in view)
                {
                    var entry = _deliveries[id];
                    if (query.Status is null || entry.Status == query.Status)
                    {
                        items.Add(entry.Snapshot());
                        if (items.Count > limit)
                        {
                            break;
                        }
                    }
                }
            }
        }

        return Task.FromResult(WebhookPaging.FromOverfetch(items, limit, static x => x.Id));
    }

    public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_deliveries.TryGetValue(deliveryId, out var e)
                ? new WebhookDeliveryDetails(e.Snapshot(), e.GetAttempts())
                : null);
        }
    }

    public Task<bool> RedeliverAsync(string deliveryId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(deliveryId, out var entry) || entry.Status == WebhookDeliveryStatus.Pending)
            {
                return Task.FromResult(false);
            }

            Requeue(entry, now);
            return Task.FromResult(true);
        }
    }

    public Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        int count = 0;
        lock (_gate)
        {
            if (_bySubscription.TryGetValue(subscriptionId, out var ids))
            {
                foreach (var id in ids)
                {
                    var entry = _deliveries[id];
                    if (entry.Status == WebhookDeliveryStatus.Failed && entry.CreatedAt >= since)
                    {
                        Requeue(entry, now);
                        count++;
                    }
                }
            }
        }

        return Task.FromResult(count);
    }

    public Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(string subscriptionId, DateTimeOffset windowStart, DateTimeOffset windowEnd, TimeSpan bucket, CancellationToken cancellationToken)
    {
        var width = (long)Math.Max(1, Math.Round(bucket.TotalMinutes));
        long first = windowStart.ToUnixTimeSeconds() / 60 / width * width;
        long last = windowEnd.ToUnixTimeSeconds() / 60;
        var buckets = new List<WebhookStatsBucket>();
        lock (_gate)
        {
            _stats.TryGetValue(subscriptionId, out var minutes);
            for (long start = first; start <= last && buckets.Count < 10_000; start += width)
            {
                int ok = 0, failed = 0;
                if (minutes is not null)
                {
                    for (long m = start; m < start + width; m++)
                    {
                        if (minutes.TryGetValue(m, out var c))
                        {
                            ok += c.Ok;
                            failed += c.Failed;
                        }
                    }
                }

                buckets.Add(new WebhookStatsBucket(DateTimeOffset.FromUnixTimeSeconds(start * 60), ok, failed));
            }
        }

        return Task.FromResult<IReadOnlyList<WebhookStatsBucket>>(buckets);
    }

    private void Schedule(Entry entry, DateTimeOffset due)
    {
        entry.NextAttemptAt = due;
        entry.QueueSeq = ++_seq;
        _due.Enqueue(entry, (due, entry.QueueSeq));
    }

    private void Requeue(Entry entry, DateTimeOffset now)
    {
        entry.Status = WebhookDeliveryStatus.Pending;
        entry.FinishSeq = 0;
        _finishedCount--;
        Schedule(entry, now);
    }

    private void MarkFinished(Entry entry)
    {
        entry.FinishSeq = ++_seq;
        _finished.Enqueue((entry.Id, entry.FinishSeq));
        _finishedCount++;
        var limit = options.Value.InMemoryRetainedDeliveries;
        while (_finishedCount > limit && _finished.TryDequeue(out var oldest))
        {
            if (_deliveries.TryGetValue(oldest.Id, out var e) && e.FinishSeq == oldest.FinishSeq)
            {
                _deliveries.Remove(e.Id);
                if (_bySubscription.TryGetValue(e.SubscriptionId, out var ids))
                {
                    ids.Remove(e.Id);
                    if (ids.Count == 0)
                    {
                        _bySubscription.Remove(e.SubscriptionId);
                    }
                }

                _finishedCount--;
            }
        }
    }

    private void CountStats(string subscriptionId, WebhookAttempt attempt)
    {
        if (!_stats.TryGetValue(subscriptionId, out var minutes))
        {
            _stats[subscriptionId] = minutes = [];
        }

        long minute = attempt.StartedAt.ToUnixTimeSeconds() / 60;
        bool isNewMinute = !minutes.TryGetValue(minute, out var c);
        minutes[minute] = attempt.Succeeded ? (c.Ok + 1, c.Failed) : (c.Ok, c.Failed + 1);
        if (isNewMinute)
        {
            long horizon = minute - (long)StatsRetention.TotalMinutes;
            while (minutes.Count > 0 && minutes.First().Key < horizon)
            {
                minutes.Remove(minutes.First().Key);
            }
        }
    }

    private void PruneIdempotency(DateTimeOffset now)
    {
        if (_idempotency.Count < 1024 || _idempotency.Count % 256 != 0)
        {
            return;
        }

        foreach (var k in _idempotency.Where(p => p.Value.ExpiresAt <= now).Select(p => p.Key).ToList())
        {
            _idempotency.Remove(k);
        }
    }

    private readonly record struct AttemptData(int Number, DateTimeOffset StartedAt, TimeSpan Duration, int StatusCode, WebhookErrorKind ErrorKind, string? Error, string? ResponseExcerpt)
    {
        public WebhookAttempt ToAttempt() => new()
        {
            Number = Number,
            StartedAt = StartedAt,
            Duration = Duration,
            StatusCode = StatusCode == 0 ? null : StatusCode,
            ErrorKind = ErrorKind,
            Error = Error,
            ResponseExcerpt = ResponseExcerpt,
        };
    }

    private sealed class Entry(WebhookDelivery d, WebhookMessage message)
    {
        public string Id { get; } = d.Id;
        public WebhookMessage Message { get; } = message;
        public string SubscriptionId { get; } = d.SubscriptionId;
        public DateTimeOffset CreatedAt { get; } = d.CreatedAt;
        public WebhookDeliveryStatus Status { get; set; } = d.Status;
        public int AttemptCount { get; set; } = d.AttemptCount;
        public DateTimeOffset? NextAttemptAt { get; set; }
        public DateTimeOffset? LastAttemptAt { get; set; }
        public int? LastStatusCode { get; set; }
        public string? LastError { get; set; }
        // The lease as a number (0: not leased) and the attempts as values rather than objects: the
        // entries of a long queue live in gen2, and every young object stored in one is work for
        // each gen0 collection. A successful first attempt with an empty answer stores no reference.
        public long Lease { get; set; }
        public DateTimeOffset? LeaseExpiresAt { get; set; }
        public long QueueSeq { get; set; }
        public long FinishSeq { get; set; }
        private AttemptData _first;
        private List<AttemptData>? _more;

        public bool Holds(WebhookLease lease) =>
            Lease != 0
            && lease.LeaseId.StartsWith("lease_", StringComparison.Ordinal)
            && long.TryParse(lease.LeaseId.AsSpan(6), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && number == Lease;

        public void AddAttempt(WebhookAttempt a)
        {
            var data = new AttemptData(a.Number, a.StartedAt, a.Duration, a.StatusCode ?? 0, a.ErrorKind, a.Error, a.ResponseExcerpt);
            if (_first.Number == 0)
            {
                _first = data;
            }
            else
            {
                (_more ??= []).Add(data);
            }
        }

        public WebhookAttempt[] GetAttempts()
        {
            if (_first.Number == 0)
            {
                return [];
            }

            var result = new WebhookAttempt[1 + (_more?.Count ?? 0)];
            result[0] = _first.ToAttempt();
            for (int i = 1; i < result.Length; i++)
            {
                result[i] = _more![i - 1].ToAttempt();
            }

            return result;
        }

        public WebhookDelivery Snapshot() => new()
        {
            Id = Id,
            MessageId = Message.Id,
            SubscriptionId = SubscriptionId,
            EventType = Message.EventType,
            Status = Status,
            AttemptCount = AttemptCount,
            CreatedAt = CreatedAt,
            NextAttemptAt = Status == WebhookDeliveryStatus.Pending ? NextAttemptAt : null,
            LastAttemptAt = LastAttemptAt,
            LastStatusCode = LastStatusCode,
            LastError = LastError,
        };
    }
}
