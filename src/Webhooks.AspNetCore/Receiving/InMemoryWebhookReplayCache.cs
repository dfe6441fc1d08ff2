namespace Webhooks.AspNetCore.Receiving;

/// <summary>A bounded in-memory <see cref="IWebhookReplayCache"/>: ids expire at their time, and when full the ids closest to expiry go first.</summary>
internal sealed class InMemoryWebhookReplayCache(TimeProvider time, int capacity) : IWebhookReplayCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _ids = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ids.Count;
            }
        }
    }

    public Task<bool> TryAddAsync(string webhookId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhookId);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Evict(now);
            if (_ids.TryGetValue(webhookId, out var until) && until > now)
            {
                return Task.FromResult(false);
            }

            _ids[webhookId] = expiresAt;
            _byExpiry.Enqueue(webhookId, expiresAt);
            return Task.FromResult(true);
        }
    }

    public Task RemoveAsync(string webhookId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhookId);
        lock (_gate)
        {
            // The queue entry stays; Evict skips entries whose id is gone or was re-added with another expiry.
            _ids.Remove(webhookId);
        }

        return Task.CompletedTask;
    }

    private void Evict(DateTimeOffset now)
    {
        while (_byExpiry.TryPeek(out var id, out var expiry) && (expiry <= now || _ids.Count >= capacity || _byExpiry.Count > 2 * capacity))
        {
            _byExpiry.Dequeue();
            if (_ids.TryGetValue(id, out var current) && current == expiry)
            {
                _ids.Remove(id);
            }
        }
    }
}
