using System.Collections.Concurrent;

namespace Webhooks.Core.Subscriptions;

/// <summary>
/// Thread-safe in-process store. Subscriptions are indexed by (owner, event pattern), so
/// <see cref="FindForEventAsync"/> looks at a handful of buckets however many subscriptions exist.
/// Writes take a lock; reads by id are lock-free and always see a whole subscription (an update
/// swaps the stored one in a single step, so it never looks deleted while it changes). The answer
/// for an (owner, event) is kept until the next write, so a publish usually finds its subscribers
/// without a lock or an allocation.
/// </summary>
internal sealed class InMemoryWebhookSubscriptionStore : IWebhookSubscriptionStore
{
    private static readonly Task<WebhookSubscription?> Missing = Task.FromResult<WebhookSubscription?>(null);

    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, WebhookSubscription> _byId = new(StringComparer.Ordinal);

    // Lock-free reads by id for the delivery path (every attempt looks its subscription up); written
    // under _gate. Completed tasks are kept, so a read allocates nothing.
    private readonly ConcurrentDictionary<string, Task<WebhookSubscription?>> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Owner, string Pattern), HashSet<string>> _byPattern = [];
    private readonly Dictionary<(string Owner, string Name), string> _byName = [];

    // FindForEvent answers by (owner, pattern list), each tagged with the write count it was computed at:
    // valid while no write has happened since. Bounded: emptied when it has taken MaxFound answers.
    private const int MaxFound = 4096;
    private static readonly Task<IReadOnlyList<WebhookSubscription>> NoneFound = Task.FromResult<IReadOnlyList<WebhookSubscription>>(Array.Empty<WebhookSubscription>());
    private readonly ConcurrentDictionary<FoundKey, Found> _found = new();
    private long _writes;
    private int _foundAdded;

    private readonly record struct FoundKey(string? Owner, IReadOnlyList<string> Patterns)
    {
        public bool Equals(FoundKey other)
        {
            if (!string.Equals(Owner, other.Owner, StringComparison.Ordinal))
            {
                return false;
            }

            if (ReferenceEquals(Patterns, other.Patterns))
            {
                return true; // an event type hands out the same list every time
            }

            if (Patterns.Count != other.Patterns.Count)
            {
                return false;
            }

            for (int i = 0; i < Patterns.Count; i++)
            {
                if (!string.Equals(Patterns[i], other.Patterns[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public override int GetHashCode() => HashCode.Combine(
            Owner is null ? -1 : StringComparer.Ordinal.GetHashCode(Owner), Patterns.Count, Patterns.Count > 0 ? StringComparer.Ordinal.GetHashCode(Patterns[0]) : 0);
    }

    private sealed record Found(long Writes, Task<IReadOnlyList<WebhookSubscription>> Result);

    public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            if (_byId.ContainsKey(subscription.Id))
            {
                throw new WebhookConflictException($"A subscription with id '{subscription.Id}' already exists.");
            }

            EnsureNameFree(subscription, exceptId: null);
            var stored = subscription with { Version = 1 };
            Index(stored);
            return Task.FromResult(stored);
        }
    }

    public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
        => _current.GetValueOrDefault(id) ?? Missing;

    public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, WebhookPaging.MaxLimit);
        var items = new List<WebhookSubscription>(limit + 1);
        lock (_gate)
        {
            IEnumerable<WebhookSubscription> source = _byId.Values;
            if (query.Cursor is not null)
            {
                source = source.Where(s => string.CompareOrdinal(s.Id, query.Cursor) > 0);
            }

            foreach (var s in source)
            {
                if (s.Owner == query.Owner
                    && (query.Active is null || s.Active == query.Active)
                    && (query.Event is null || s.Events.Contains(query.Event, StringComparer.Ordinal)))
                {
                    items.Add(s);
                    if (items.Count > limit)
                    {
                        break;
                    }
                }
            }
        }

        return Task.FromResult(WebhookPaging.FromOverfetch(items, limit, static x => x.Id));
    }

    public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var key = new FoundKey(owner, patterns); // null (the app's own) and "" are different owners
        if (_found.TryGetValue(key, out var found) && found.Writes == Volatile.Read(ref _writes))
        {
            return found.Result;
        }

        lock (_gate)
        {
            var result = FindLocked(key);
            if (Interlocked.Increment(ref _foundAdded) > MaxFound)
            {
                _found.Clear();
                _foundAdded = 1;
            }

            // The copy of the patterns is the key's: the caller's list may change after this returns.
            _found[key with { Patterns = [.. patterns] }] = new Found(_writes, result);
            return result;
        }
    }

    /// <summary>The active subscriptions of the owner that listen to any of the patterns, each once, in bucket order.</summary>
    private Task<IReadOnlyList<WebhookSubscription>> FindLocked(FoundKey key)
    {
        List<WebhookSubscription>? result = null;
        HashSet<string>? seen = null;
        foreach (var pattern in key.Patterns)
        {
            if (!_byPattern.TryGetValue((key.Owner ?? "", pattern), out var ids))
            {
                continue;
            }

            foreach (var id in ids)
            {
                var s = _byId[id];
                if (s.Active && s.Owner == key.Owner && (seen ??= new(StringComparer.Ordinal)).Add(id))
                {
                    (result ??= []).Add(s);
                }
            }
        }

        // Read-only and shared by every caller until the next write.
        return result is null ? NoneFound : Task.FromResult<IReadOnlyList<WebhookSubscription>>(result.AsReadOnly());
    }

    public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            if (!_byId.TryGetValue(subscription.Id, out var current))
            {
                return Task.FromResult<WebhookSubscription?>(null);
            }

            if (current.Version != subscription.Version)
            {
                throw new WebhookConcurrencyException(subscription.Id, subscription.Version, current.Version);
            }

            EnsureNameFree(subscription, exceptId: subscription.Id);
            var stored = subscription with { Owner = current.Owner, Version = current.Version + 1, CreatedAt = current.CreatedAt };

            // Index the new state first, then drop what only the old one had: the id never leaves
            // the read map, so a concurrent reader sees the old or the new subscription, never none.
            Index(stored);
            Unindex(current, keep: stored);
            return Task.FromResult<WebhookSubscription?>(stored);
        }
    }

    public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var current))
            {
                return Task.FromResult(false);
            }

            if (expectedVersion is { } v && v != current.Version)
            {
                throw new WebhookConcurrencyException(id, v, current.Version);
            }

            Unindex(current, keep: null);
            return Task.FromResult(true);
        }
    }

    private void EnsureNameFree(WebhookSubscription subscription, string? exceptId)
    {
        if (_byName.TryGetValue((subscription.Owner ?? "", subscription.Name), out var holder) && holder != exceptId)
        {
            throw new WebhookConflictException($"A subscription named '{subscription.Name}' already exists for this owner; choose another name.");
        }
    }

    private void Index(WebhookSubscription s)
    {
        Volatile.Write(ref _writes, _writes + 1); // every cached FindForEvent answer is stale from here
        var owner = s.Owner ?? "";
        _byId[s.Id] = s;
        _current[s.Id] = Task.FromResult<WebhookSubscription?>(s);
        _byName[(owner, s.Name)] = s.Id;
        foreach (var e in s.Events)
        {
            if (!_byPattern.TryGetValue((owner, e), out var ids))
            {
                _byPattern[(owner, e)] = ids = new(StringComparer.Ordinal);
            }

            ids.Add(s.Id);
        }
    }

    /// <summary>Removes the index entries of <paramref name="old"/> that <paramref name="keep"/> (its replacement, if any) does not have.</summary>
    private void Unindex(WebhookSubscription old, WebhookSubscription? keep)
    {
        Volatile.Write(ref _writes, _writes + 1);
        var owner = old.Owner ?? "";
        if (keep is null)
        {
            _byId.Remove(old.Id);
            _current.TryRemove(old.Id, out _);
        }

        if (keep is null || keep.Name != old.Name)
        {
            _byName.Remove((owner, old.Name));
        }

        foreach (var e in old.Events)
        {
            if (keep is not null && keep.Events.Contains(e, StringComparer.Ordinal))
            {
                continue;
            }

            if (_byPattern.TryGetValue((owner, e), out var ids) && ids.Remove(old.Id) && ids.Count == 0)
            {
                _byPattern.Remove((owner, e));
            }
        }
    }
}
