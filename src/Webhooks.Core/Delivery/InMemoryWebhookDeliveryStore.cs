using System.Globalization;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The in-process queue and attempt log, with every optional capability. Due deliveries sit in a
/// priority queue by due time, so leasing costs O(log n) per delivery; a message's payload is one
/// buffer shared by all its deliveries. Finished deliveries beyond
/// <see cref="WebhookOptions.InMemoryRetainedDeliveries"/> are dropped oldest first; pending ones
/// never are. Its clock is the app's <see cref="TimeProvider"/>. Everything is lost when the
/// process ends: use a durable store (SQLite, PostgreSQL) when that matters. Deliveries with an
/// ordering key wait in a per-(subscription, key) line: only the first of a line is in the due queue,
/// the others are parked until it finishes (<see cref="IWebhookDeliveryOrdering"/>).
/// </summary>
internal sealed class InMemoryWebhookDeliveryStore(IOptions<WebhookOptions> options, TimeProvider time)
    : IWebhookDeliveryStore, IWebhookDeliveryLog, IWebhookDeliveryAdministration, IWebhookDeliveryStatistics, IWebhookDeliveryRetention, IWebhookDeliveryBacklog, IWebhookDeliveryOrdering
{
    private static readonly Task<bool> True = Task.FromResult(true);
    private static readonly Task<bool> False = Task.FromResult(false);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _deliveries = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Entry, (long DueTicks, long Seq)> _due = new(); // due time as UTC ticks: a smaller slot than a DateTimeOffset
    private readonly Dictionary<string, SortedSet<string>> _bySubscription = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> _byOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Owner, string Key), (string MessageId, int Count, DateTimeOffset ExpiresAt)> _idempotency = [];

    // The pending deliveries of each (subscription, ordering key), in enqueue order: only the first may be leased.
    private readonly Dictionary<(string SubscriptionId, string Key), SortedSet<Entry>> _lines = [];

    // Attempt counts per owner, subscription and minute (enough for any whole-minute bucket), of the
    // attempts of the deliveries still held: a delivery dropped takes its counts along.
    private readonly Dictionary<string, Dictionary<string, SortedDictionary<long, (int Ok, int Failed)>>> _stats = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long FinishSeq)> _finished = new();
    private long _seq;
    private long _leaseCounter;
    private int _finishedCount;

    public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(deliveries);
        if (context is not null)
        {
            throw new WebhookException($"The in-memory delivery store cannot join a {context.GetType().Name}: publish through the store that owns that transaction (for example UsePostgreSql).");
        }

        lock (_gate)
        {
            if (message.IdempotencyKey is { } key)
            {
                var k = (message.Owner ?? "", key);
                if (_idempotency.TryGetValue(k, out var seen) && seen.ExpiresAt > message.CreatedAt)
                {
                    return Task.FromResult(new WebhookEnqueueResult(seen.MessageId, seen.Count, IsDuplicate: true));
                }

                PruneIdempotency(message.CreatedAt);
                _idempotency[k] = (message.Id, deliveries.Count, message.IdempotencyExpiresAt ?? message.CreatedAt);
            }

            var now = time.GetUtcNow();
            foreach (var d in deliveries)
            {
                var entry = new Entry(d, message);
                _deliveries.Add(d.Id, entry);
                IndexOf(_bySubscription, d.SubscriptionId).Add(d.Id);
                IndexOf(_byOwner, message.Owner ?? "").Add(d.Id);
                entry.EnqueueSeq = ++_seq;
                ScheduleOrPark(entry, now);
            }

            return Task.FromResult(new WebhookEnqueueResult(message.Id, deliveries.Count, IsDuplicate: false));
        }
    }

    public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        List<WebhookLease>? leases = null;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            while ((leases?.Count ?? 0) < maxCount && _due.TryPeek(out var entry, out var priority) && priority.DueTicks <= now.UtcTicks)
            {
                _due.Dequeue();
                if (priority.Seq != entry.QueueSeq || entry.Status != WebhookDeliveryStatus.Pending)
                {
                    continue; // stale queue entry: the delivery was rescheduled or finished since
                }

                if (IsBlocked(entry))
                {
                    entry.Parked = true; // an earlier delivery of its line came back (a redelivery): wait behind it
                    continue;
                }

                entry.Lease = ++_leaseCounter;
                var expiresAt = now + leaseDuration;
                Schedule(entry, expiresAt); // taken over again if the holder never reports back
                var leaseId = "lease_" + entry.Lease.ToString(CultureInfo.InvariantCulture);
                (leases ??= []).Add(new WebhookLease(entry.Snapshot(), entry.Message, leaseId, expiresAt));
            }
        }

        return Task.FromResult<IReadOnlyList<WebhookLease>>(leases ?? (IReadOnlyList<WebhookLease>)[]);
    }

    public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(lease.Delivery.Id, out var entry) || !entry.Holds(lease))
            {
                return False;
            }

            entry.Lease = 0;
            if (attempt is null)
            {
                entry.LastError = transition.Reason;
            }
            else
            {
                entry.AddAttempt(attempt);
                entry.AttemptCount = attempt.Number;
                entry.LastAttemptAt = attempt.StartedAt;
                entry.LastStatusCode = attempt.StatusCode;
                entry.LastError = attempt.Error;
                CountStats(entry, attempt, +1);
            }

            entry.Status = transition.Status;
            if (transition.Status == WebhookDeliveryStatus.Pending)
            {
                Schedule(entry, time.GetUtcNow() + transition.RetryDelay);
            }
            else
            {
                entry.NextAttemptAt = null;
                entry.QueueSeq = -1;
                LeaveLine(entry);
                MarkFinished(entry);
            }

            return True;
        }
    }

    public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            if (_deliveries.TryGetValue(lease.Delivery.Id, out var entry) && entry.Holds(lease))
            {
                entry.Lease = 0;
                Schedule(entry, time.GetUtcNow() + delay);
                return True;
            }
        }

        return False;
    }

    public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, WebhookPaging.MaxLimit);
        var items = new List<WebhookDelivery>(Math.Min(limit + 1, 64));
        lock (_gate)
        {
            var index = query.SubscriptionId is { } sid ? _bySubscription.GetValueOrDefault(sid) : _byOwner.GetValueOrDefault(query.Owner ?? "");
            if (index is { Count: > 0 })
            {
                IEnumerable<string> view = query.Cursor is null
                    ? index.Reverse()
                    : string.CompareOrdinal(query.Cursor, index.Min) <= 0
                        ? []
                        : index.GetViewBetween(index.Min!, query.Cursor).Reverse().SkipWhile(id => id == query.Cursor);
                foreach (var id in view)
                {
                    var entry = _deliveries[id];
                    if (entry.Message.Owner == query.Owner
                        && (query.Status is null || entry.Status == query.Status)
                        && (query.EventType is null || entry.Message.EventType == query.EventType))
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

    public Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(deliveryId, out var entry) || entry.Status == WebhookDeliveryStatus.Pending)
            {
                return False;
            }

            Requeue(entry, time.GetUtcNow());
            return True;
        }
    }

    public Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        int count = 0;
        lock (_gate)
        {
            if (_bySubscription.TryGetValue(subscriptionId, out var ids))
            {
                var now = time.GetUtcNow();
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

    public Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(WebhookStatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        long width = Math.Max(1, (long)query.BucketWidth.TotalMinutes);
        long first = query.Start.ToUnixTimeSeconds() / 60;
        var ok = new int[query.BucketCount];
        var failed = new int[query.BucketCount];
        lock (_gate)
        {
            if (_stats.TryGetValue(query.Owner ?? "", out var bySubscription))
            {
                foreach (var (subscriptionId, minutes) in bySubscription)
                {
                    if (query.SubscriptionId is not null && query.SubscriptionId != subscriptionId)
                    {
                        continue;
                    }

                    foreach (var (minute, c) in minutes.Where(m => m.Key >= first && m.Key < first + (width * query.BucketCount)))
                    {
                        int i = (int)((minute - first) / width);
                        ok[i] += c.Ok;
                        failed[i] += c.Failed;
                    }
                }
            }
        }

        var buckets = new WebhookStatsBucket[query.BucketCount];
        for (int i = 0; i < buckets.Length; i++)
        {
            buckets[i] = new WebhookStatsBucket(query.Start + (query.BucketWidth * i), ok[i], failed[i]);
        }

        return Task.FromResult<IReadOnlyList<WebhookStatsBucket>>(buckets);
    }

    public Task<int> PurgeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        int removed = 0;
        lock (_gate)
        {
            foreach (var entry in _deliveries.Values.Where(e => e.Status != WebhookDeliveryStatus.Pending && e.CreatedAt < cutoff).Take(batchSize).ToList())
            {
                Remove(entry);
                removed++;
            }

            if (removed < batchSize)
            {
                foreach (var k in _idempotency.Where(p => p.Value.ExpiresAt <= cutoff).Select(p => p.Key).ToList())
                {
                    _idempotency.Remove(k);
                }
            }
        }

        return Task.FromResult(removed);
    }

    public Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();

            // Stale heads (rescheduled or finished since they were queued) go, as LeaseAsync would drop them;
            // the first live one is the earliest due, a held lease at its expiry.
            DateTimeOffset? oldest = null;
            while (_due.TryPeek(out var entry, out var priority))
            {
                if (priority.Seq != entry.QueueSeq || entry.Status != WebhookDeliveryStatus.Pending)
                {
                    _due.Dequeue();
                    continue;
                }

                if (IsBlocked(entry))
                {
                    _due.Dequeue();
                    entry.Parked = true;
                    continue;
                }

                oldest = priority.DueTicks <= now.UtcTicks ? new DateTimeOffset(priority.DueTicks, TimeSpan.Zero) : null;
                break;
            }

            // Every entry is pending or finished, and the finished ones are counted.
            return Task.FromResult(new WebhookBacklog(_deliveries.Count - _finishedCount, oldest, now));
        }
    }

    private static SortedSet<string> IndexOf(Dictionary<string, SortedSet<string>> index, string key)
    {
        if (!index.TryGetValue(key, out var ids))
        {
            index[key] = ids = new(StringComparer.Ordinal);
        }

        return ids;
    }

    private static void Unindex(Dictionary<string, SortedSet<string>> index, string key, string id)
    {
        if (index.TryGetValue(key, out var ids) && ids.Remove(id) && ids.Count == 0)
        {
            index.Remove(key);
        }
    }

    private void Schedule(Entry entry, DateTimeOffset due)
    {
        entry.NextAttemptAt = due;
        entry.QueueSeq = ++_seq;
        _due.Enqueue(entry, (due.UtcTicks, entry.QueueSeq));
    }

    private void Requeue(Entry entry, DateTimeOffset now)
    {
        entry.Status = WebhookDeliveryStatus.Pending;
        entry.FinishSeq = 0;
        _finishedCount--;
        ScheduleOrPark(entry, now);
    }

    /// <summary>Schedules a delivery that has just become pending, or parks it behind an earlier pending one of its line.</summary>
    private void ScheduleOrPark(Entry entry, DateTimeOffset due)
    {
        if (entry.OrderingKey is { } key)
        {
            var k = (entry.SubscriptionId, key);
            if (!_lines.TryGetValue(k, out var line))
            {
                _lines[k] = line = new SortedSet<Entry>(EnqueueOrder.Instance);
            }

            line.Add(entry);
            if (line.Min != entry)
            {
                entry.NextAttemptAt = due;
                entry.Parked = true;
                return;
            }
        }

        Schedule(entry, due);
    }

    /// <summary>Whether an earlier pending delivery of the same subscription and ordering key exists.</summary>
    private bool IsBlocked(Entry entry) =>
        entry.OrderingKey is { } key && _lines.TryGetValue((entry.SubscriptionId, key), out var line) && line.Min != entry;

    /// <summary>A delivery of a line finished: the next one, if parked, is due at its own due time.</summary>
    private void LeaveLine(Entry entry)
    {
        if (entry.OrderingKey is not { } key || !_lines.TryGetValue((entry.SubscriptionId, key), out var line))
        {
            return;
        }

        line.Remove(entry);
        if (line.Count == 0)
        {
            _lines.Remove((entry.SubscriptionId, key));
        }
        else if (line.Min is { Parked: true } next)
        {
            next.Parked = false;
            Schedule(next, next.NextAttemptAt ?? time.GetUtcNow());
        }
    }

    private sealed class EnqueueOrder : IComparer<Entry>
    {
        public static readonly EnqueueOrder Instance = new();

        public int Compare(Entry? x, Entry? y) => (x?.EnqueueSeq ?? 0).CompareTo(y?.EnqueueSeq ?? 0);
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
                Remove(e);
            }
        }
    }

    /// <summary>Drops a finished delivery; its attempts leave the counts with it, so no count outlives what it counts.</summary>
    private void Remove(Entry e)
    {
        foreach (var attempt in e.GetAttempts())
        {
            CountStats(e, attempt, -1);
        }

        _deliveries.Remove(e.Id);
        Unindex(_bySubscription, e.SubscriptionId, e.Id);
        Unindex(_byOwner, e.Message.Owner ?? "", e.Id);
        if (e.FinishSeq != 0)
        {
            e.FinishSeq = 0;
            _finishedCount--;
        }
    }

    private void CountStats(Entry entry, WebhookAttempt attempt, int delta)
    {
        var owner = entry.Message.Owner ?? "";
        if (!_stats.TryGetValue(owner, out var bySubscription))
        {
            _stats[owner] = bySubscription = new(StringComparer.Ordinal);
        }

        if (!bySubscription.TryGetValue(entry.SubscriptionId, out var minutes))
        {
            bySubscription[entry.SubscriptionId] = minutes = [];
        }

        long minute = attempt.StartedAt.ToUnixTimeSeconds() / 60;
        minutes.TryGetValue(minute, out var c);
        c = attempt.Succeeded ? (c.Ok + delta, c.Failed) : (c.Ok, c.Failed + delta);
        if (c is (<= 0, <= 0))
        {
            minutes.Remove(minute);
            if (minutes.Count == 0)
            {
                bySubscription.Remove(entry.SubscriptionId);
                if (bySubscription.Count == 0)
                {
                    _stats.Remove(owner);
                }
            }

            return;
        }

        minutes[minute] = c;
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

    // Times as UTC ticks (8 bytes rather than a DateTimeOffset's 16), a status code of 0 for none.
    private readonly record struct AttemptData(int Number, long StartedAtTicks, TimeSpan Duration, int StatusCode, WebhookErrorKind ErrorKind, string? Error, string? ResponseExcerpt)
    {
        public WebhookAttempt ToAttempt() => new()
        {
            Number = Number,
            StartedAt = new DateTimeOffset(StartedAtTicks, TimeSpan.Zero),
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
        public string? OrderingKey { get; } = d.OrderingKey;
        // Times as UTC ticks (0: none) and the status code as 0 for none: a pending delivery's entry is
        // most of what the store holds per delivery, and a DateTimeOffset? takes 24 bytes to a long's 8.
        private readonly long _createdAtTicks = d.CreatedAt.UtcTicks;
        private long _nextAttemptAtTicks;
        private long _lastAttemptAtTicks;
        private int _lastStatusCode;

        public DateTimeOffset CreatedAt => new(_createdAtTicks, TimeSpan.Zero);
        public WebhookDeliveryStatus Status { get; set; } = d.Status;
        public int AttemptCount { get; set; } = d.AttemptCount;

        public DateTimeOffset? NextAttemptAt
        {
            get => _nextAttemptAtTicks == 0 ? null : new DateTimeOffset(_nextAttemptAtTicks, TimeSpan.Zero);
            set => _nextAttemptAtTicks = value?.UtcTicks ?? 0;
        }

        public DateTimeOffset? LastAttemptAt
        {
            get => _lastAttemptAtTicks == 0 ? null : new DateTimeOffset(_lastAttemptAtTicks, TimeSpan.Zero);
            set => _lastAttemptAtTicks = value?.UtcTicks ?? 0;
        }

        public int? LastStatusCode
        {
            get => _lastStatusCode == 0 ? null : _lastStatusCode;
            set => _lastStatusCode = value ?? 0;
        }

        public string? LastError { get; set; }

        // The lease as a number (0: not leased) and the attempts as values rather than objects: the
        // entries of a long queue live in gen2, and every young object stored in one is work for
        // each gen0 collection. A successful first attempt with an empty answer stores no reference.
        public long Lease { get; set; }
        public long QueueSeq { get; set; }
        public long FinishSeq { get; set; }
        public long EnqueueSeq { get; set; }

        // Waiting behind an earlier delivery of its line, out of the due queue.
        public bool Parked { get; set; }
        private AttemptData _first;
        private List<AttemptData>? _more;

        public bool Holds(WebhookLease lease) =>
            Lease != 0
            && Status == WebhookDeliveryStatus.Pending
            && lease.LeaseId.StartsWith("lease_", StringComparison.Ordinal)
            && long.TryParse(lease.LeaseId.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number == Lease;

        public void AddAttempt(WebhookAttempt a)
        {
            var data = new AttemptData(a.Number, a.StartedAt.UtcTicks, a.Duration, a.StatusCode ?? 0, a.ErrorKind, a.Error, a.ResponseExcerpt);
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
            Owner = Message.Owner,
            OrderingKey = OrderingKey,
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
