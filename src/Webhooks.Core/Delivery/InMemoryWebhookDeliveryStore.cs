using System.Globalization;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The in-process queue and attempt log, with every optional capability. A message's payload is one
/// buffer shared by all its deliveries. Finished deliveries beyond
/// <see cref="WebhookOptions.InMemoryRetainedDeliveries"/> are dropped oldest first; pending ones
/// never are. Its clock is the app's <see cref="TimeProvider"/>. Everything is lost when the
/// process ends: use a durable store (SQLite, PostgreSQL) when that matters. Deliveries with an
/// ordering key wait in a per-(subscription, key) line: only the first of a line is due, the others
/// are parked until it finishes (<see cref="IWebhookDeliveryOrdering"/>).
/// </summary>
/// <remarks>
/// Laid out for a long backlog (about 110 bytes a pending delivery besides its message): each delivery
/// is one <see cref="InMemoryDeliveryEntry"/>, listed in three id-sorted arrays (all, by subscription,
/// by owner: <see cref="InMemoryDeliveryIndex"/>) rather than a dictionary and two trees. A delivery
/// waiting for its first attempt is due when it was enqueued, so those wait in a linked line in
/// enqueue order (the link is a field of the entry: no slot elsewhere); only deliveries given another
/// due time (a retry, a lease's expiry, a release) go to the priority queue, and a lease takes
/// whichever of the two heads is earlier. Completing finds the entry by its lease number among the
/// leased ones, not by id.
/// </remarks>
internal sealed class InMemoryWebhookDeliveryStore(IOptions<WebhookOptions> options, TimeProvider time)
    : IWebhookDeliveryStore, IWebhookDeliveryLog, IWebhookDeliveryAdministration, IWebhookDeliveryStatistics, IWebhookDeliveryRetention, IWebhookDeliveryBacklog, IWebhookDeliveryOrdering
{
    private const string LeasePrefix = "lease_";
    private static readonly Task<bool> True = Task.FromResult(true);
    private static readonly Task<bool> False = Task.FromResult(false);

    private readonly Lock _gate = new();
    private readonly InMemoryDeliveryIndex _all = new();
    private readonly Dictionary<string, InMemoryDeliveryIndex> _bySubscription = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InMemoryDeliveryIndex> _byOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<long, InMemoryDeliveryEntry> _leased = [];
    private readonly PriorityQueue<InMemoryDeliveryEntry, (long DueTicks, long Seq)> _due = new(); // due time as UTC ticks: a smaller slot than a DateTimeOffset
    private readonly Dictionary<(string Owner, string Key), (string MessageId, int Count, DateTimeOffset ExpiresAt)> _idempotency = [];

    // Deliveries due at their enqueue time, in enqueue order (so in due order): linked through InMemoryDeliveryEntry.Next.
    private InMemoryDeliveryEntry? _firstHead;
    private InMemoryDeliveryEntry? _firstTail;
    private long _firstTailTicks;

    // The pending deliveries of each (subscription, ordering key), in enqueue order: only the first may be leased.
    private readonly Dictionary<(string SubscriptionId, string Key), SortedSet<InMemoryDeliveryEntry>> _lines = [];

    // Attempt counts per owner, subscription and minute (enough for any whole-minute bucket), of the
    // attempts of the deliveries still held: a delivery dropped takes its counts along.
    private readonly Dictionary<string, Dictionary<string, SortedDictionary<long, (int Ok, int Failed)>>> _stats = new(StringComparer.Ordinal);
    private readonly Queue<(InMemoryDeliveryEntry Entry, long FinishSeq)> _finished = new();
    private long _seq;
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
            var byOwner = deliveries.Count > 0 ? IndexOf(_byOwner, message.Owner ?? "") : null;
            foreach (var d in deliveries)
            {
                var entry = new InMemoryDeliveryEntry(d, message, ++_seq);
                _all.Add(entry);
                IndexOf(_bySubscription, d.SubscriptionId).Add(entry);
                byOwner!.Add(entry);
                ScheduleOrPark(entry, now, first: true);
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
            while ((leases?.Count ?? 0) < maxCount && TakeDue(now.UtcTicks) is { } entry)
            {
                if (IsBlocked(entry))
                {
                    entry.Parked = true; // an earlier delivery of its line came back (a redelivery): wait behind it
                    continue;
                }

                if (entry.Leased)
                {
                    _leased.Remove(entry.Seq); // its lease expired: taken over
                }

                var expiresAt = now + leaseDuration;
                Schedule(entry, expiresAt); // taken over again if the holder never reports back
                entry.Leased = true;
                _leased.Add(entry.Seq, entry);
                var leaseId = LeasePrefix + entry.Seq.ToString(CultureInfo.InvariantCulture);
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
            if (HeldBy(lease) is not { } entry)
            {
                return False;
            }

            _leased.Remove(entry.Seq);
            entry.Leased = false;
            if (attempt is null)
            {
                entry.SetError(transition.Reason);
            }
            else
            {
                entry.AddAttempt(attempt);
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
            if (HeldBy(lease) is { } entry)
            {
                _leased.Remove(entry.Seq);
                entry.Leased = false;
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
            if (index is { LiveCount: > 0 })
            {
                // Newest first, from just below the cursor (an id already returned) when there is one.
                int i = query.Cursor is { } cursor ? index.LowerBound(new InMemoryDeliveryKey(cursor)) : index.Count;
                while (--i >= 0)
                {
                    var entry = index[i];
                    if (!entry.Removed
                        && entry.Message.Owner == query.Owner
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
            return Task.FromResult(Find(deliveryId) is { } e
                ? new WebhookDeliveryDetails(e.Snapshot(), e.GetAttempts())
                : null);
        }
    }

    public Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Find(deliveryId) is not { } entry || entry.Status == WebhookDeliveryStatus.Pending)
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
            if (_bySubscription.TryGetValue(subscriptionId, out var index))
            {
                var now = time.GetUtcNow();
                for (int i = 0; i < index.Count; i++)
                {
                    var entry = index[i];
                    if (!entry.Removed && entry.Status == WebhookDeliveryStatus.Failed && entry.CreatedAt >= since)
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
            var batch = new List<InMemoryDeliveryEntry>();
            for (int i = 0; i < _all.Count && batch.Count < batchSize; i++)
            {
                var e = _all[i];
                if (!e.Removed && e.Status != WebhookDeliveryStatus.Pending && e.CreatedAt < cutoff)
                {
                    batch.Add(e);
                }
            }

            foreach (var entry in batch)
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
            while (PeekDue(out var fromFirst) is { } entry)
            {
                if (IsBlocked(entry))
                {
                    Pop(fromFirst);
                    entry.Parked = true;
                    continue;
                }

                oldest = entry.NextAttemptAtTicks <= now.UtcTicks ? new DateTimeOffset(entry.NextAttemptAtTicks, TimeSpan.Zero) : null;
                break;
            }

            // Every entry is pending or finished, and the finished ones are counted.
            return Task.FromResult(new WebhookBacklog(_all.LiveCount - _finishedCount, oldest, now));
        }
    }

    private static InMemoryDeliveryIndex IndexOf(Dictionary<string, InMemoryDeliveryIndex> indexes, string key)
    {
        if (!indexes.TryGetValue(key, out var index))
        {
            indexes[key] = index = new();
        }

        return index;
    }

    private static void Unindex(Dictionary<string, InMemoryDeliveryIndex> indexes, string key)
    {
        if (indexes.TryGetValue(key, out var index))
        {
            index.NoteRemoved();
            if (index.LiveCount == 0)
            {
                indexes.Remove(key);
            }
        }
    }

    private InMemoryDeliveryEntry? Find(string deliveryId) =>
        deliveryId is null ? null : _all.Find(new InMemoryDeliveryKey(deliveryId));

    /// <summary>The entry <paramref name="lease"/> still holds (its lease number is the entry's current one), if any.</summary>
    private InMemoryDeliveryEntry? HeldBy(WebhookLease lease) =>
        lease.LeaseId.StartsWith(LeasePrefix, StringComparison.Ordinal)
        && long.TryParse(lease.LeaseId.AsSpan(LeasePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
        && _leased.TryGetValue(number, out var entry)
        && entry.Holds(number)
            ? entry
            : null;

    /// <summary>The earliest live due entry, taken out of its line or queue, when it is due by <paramref name="nowTicks"/>.</summary>
    private InMemoryDeliveryEntry? TakeDue(long nowTicks)
    {
        if (PeekDue(out var fromFirst) is not { } entry || entry.NextAttemptAtTicks > nowTicks)
        {
            return null;
        }

        Pop(fromFirst);
        return entry;
    }

    /// <summary>
    /// The earliest of the two live heads (the first-attempt line's and the due queue's) by due time, then
    /// by sequence, dropping stale heads on the way; <paramref name="fromFirst"/> says which one it is.
    /// </summary>
    private InMemoryDeliveryEntry? PeekDue(out bool fromFirst)
    {
        while (_firstHead is { } f && !(f.InFifo && f.Status == WebhookDeliveryStatus.Pending))
        {
            PopFirst(); // rescheduled or finished since it was enqueued
        }

        InMemoryDeliveryEntry? queued = null;
        (long DueTicks, long Seq) priority = default;
        while (_due.TryPeek(out var q, out priority))
        {
            if (priority.Seq == q.Seq && q.Status == WebhookDeliveryStatus.Pending && !q.InFifo && !q.Removed)
            {
                queued = q;
                break;
            }

            _due.Dequeue(); // stale: the delivery was rescheduled or finished since
        }

        var head = _firstHead;
        fromFirst = head is not null
            && (queued is null || head.NextAttemptAtTicks < priority.DueTicks || (head.NextAttemptAtTicks == priority.DueTicks && head.Seq < priority.Seq));
        return fromFirst ? head : queued;
    }

    private void Pop(bool fromFirst)
    {
        if (fromFirst)
        {
            PopFirst();
        }
        else
        {
            _due.Dequeue();
        }
    }

    private void PopFirst()
    {
        var head = _firstHead!;
        _firstHead = head.Next;
        head.Next = null;
        head.InFifo = false;
        if (_firstHead is null)
        {
            _firstTail = null;
            _firstTailTicks = 0;
        }
    }

    private void Schedule(InMemoryDeliveryEntry entry, DateTimeOffset due)
    {
        entry.InFifo = false;
        entry.NextAttemptAt = due;
        entry.Seq = ++_seq;
        _due.Enqueue(entry, (due.UtcTicks, entry.Seq));
    }

    private void Requeue(InMemoryDeliveryEntry entry, DateTimeOffset now)
    {
        entry.Status = WebhookDeliveryStatus.Pending;
        if (entry.Finished)
        {
            entry.Finished = false;
            _finishedCount--;
        }

        ScheduleOrPark(entry, now, first: false);
    }

    /// <summary>
    /// Schedules a delivery that has just become pending, or parks it behind an earlier pending one of its
    /// line. A new one (<paramref name="first"/>) due at its enqueue time joins the first-attempt line.
    /// </summary>
    private void ScheduleOrPark(InMemoryDeliveryEntry entry, DateTimeOffset due, bool first)
    {
        if (entry.OrderingKey is { } key)
        {
            var k = (entry.SubscriptionId, key);
            if (!_lines.TryGetValue(k, out var line))
            {
                _lines[k] = line = new SortedSet<InMemoryDeliveryEntry>(EnqueueOrder.Instance);
            }

            line.Add(entry);
            if (line.Min != entry)
            {
                entry.NextAttemptAt = due;
                entry.Parked = true;
                return;
            }
        }

        // The line stays in due order: a clock that stepped back sends the entry to the queue instead.
        if (first && due.UtcTicks >= _firstTailTicks)
        {
            entry.NextAttemptAt = due;
            entry.Seq = ++_seq;
            entry.InFifo = true;
            if (_firstTail is null)
            {
                _firstHead = entry;
            }
            else
            {
                _firstTail.Next = entry;
            }

            _firstTail = entry;
            _firstTailTicks = due.UtcTicks;
            return;
        }

        Schedule(entry, due);
    }

    /// <summary>Whether an earlier pending delivery of the same subscription and ordering key exists.</summary>
    private bool IsBlocked(InMemoryDeliveryEntry entry) =>
        entry.OrderingKey is { } key && _lines.TryGetValue((entry.SubscriptionId, key), out var line) && line.Min != entry;

    /// <summary>A delivery of a line finished: the next one, if parked, is due at its own due time.</summary>
    private void LeaveLine(InMemoryDeliveryEntry entry)
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
            if (next.Leased)
            {
                // An expired lease not taken over yet: its holder may still report, so its sequence (the lease
                // number) stays. Parking took its queue slot out, so that sequence has no other live slot.
                _due.Enqueue(next, (next.NextAttemptAtTicks, next.Seq));
            }
            else
            {
                Schedule(next, next.NextAttemptAt ?? time.GetUtcNow());
            }
        }
    }

    private sealed class EnqueueOrder : IComparer<InMemoryDeliveryEntry>
    {
        public static readonly EnqueueOrder Instance = new();

        public int Compare(InMemoryDeliveryEntry? x, InMemoryDeliveryEntry? y) => (x?.EnqueueSeq ?? 0).CompareTo(y?.EnqueueSeq ?? 0);
    }

    private void MarkFinished(InMemoryDeliveryEntry entry)
    {
        entry.InFifo = false;
        entry.Seq = ++_seq;
        entry.Finished = true;
        _finished.Enqueue((entry, entry.Seq));
        _finishedCount++;
        var limit = options.Value.InMemoryRetainedDeliveries;
        while (_finishedCount > limit && _finished.TryDequeue(out var oldest))
        {
            if (!oldest.Entry.Removed && oldest.Entry.Finished && oldest.Entry.Seq == oldest.FinishSeq)
            {
                Remove(oldest.Entry);
            }
        }
    }

    /// <summary>Drops a finished delivery; its attempts leave the counts with it, so no count outlives what it counts.</summary>
    private void Remove(InMemoryDeliveryEntry e)
    {
        foreach (var attempt in e.GetAttempts())
        {
            CountStats(e, attempt, -1);
        }

        if (e.Finished)
        {
            e.Finished = false;
            _finishedCount--;
        }

        var owner = e.Message.Owner ?? "";
        e.MarkRemoved();
        _all.NoteRemoved();
        Unindex(_bySubscription, e.SubscriptionId);
        Unindex(_byOwner, owner);
    }

    private void CountStats(InMemoryDeliveryEntry entry, WebhookAttempt attempt, int delta)
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
}
