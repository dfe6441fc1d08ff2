using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;

namespace Webhooks.Testing.Tests.Stores;

// README's "Writing a custom store" example, verbatim: the suite below keeps README honest.
#pragma warning disable IDE0011, SA1402, CA1051, SA1401
#region store
internal sealed class ListQueue(TimeProvider clock) : IWebhookDeliveryStore
{
    private sealed class Row(WebhookDelivery d, WebhookMessage m, DateTimeOffset due)
    { public WebhookDelivery D = d; public WebhookMessage M = m; public DateTimeOffset Due = due; public string? Lease; }

    private readonly Lock _gate = new();
    private readonly List<Row> _rows = [];
    private readonly Dictionary<(string?, string), WebhookMessage> _keys = [];

    public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage m, IReadOnlyList<WebhookDelivery> ds, WebhookEnqueueContext? context, CancellationToken ct)
    {
        if (context is not null) throw new WebhookException("ListQueue cannot join a transaction.");
        lock (_gate)
        {
            if (m.IdempotencyKey is { } key && _keys.TryGetValue((m.Owner, key), out var first) && first.IdempotencyExpiresAt > m.CreatedAt)
                return Task.FromResult(new WebhookEnqueueResult(first.Id, _rows.Count(r => r.M == first), true));
            if (m.IdempotencyKey is { } k) _keys[(m.Owner, k)] = m;
            var now = clock.GetUtcNow();
            _rows.AddRange(ds.Select(d => new Row(d with { Owner = m.Owner }, m, now)));
            return Task.FromResult(new WebhookEnqueueResult(m.Id, ds.Count, false));
        }
    }

    public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int max, TimeSpan duration, CancellationToken ct)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            IReadOnlyList<WebhookLease> leases = [.. _rows.Where(r => r.D.Status == WebhookDeliveryStatus.Pending && r.Due <= now)
                .OrderBy(r => r.Due).Take(max).Select(r =>
                {
                    r.Lease = Guid.NewGuid().ToString("N");
                    r.Due = now + duration;          // an expired lease makes it due again
                    return new WebhookLease(r.D, r.M, r.Lease, r.Due);
                })];
            return Task.FromResult(leases);
        }
    }

    public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? a, WebhookDeliveryTransition t, CancellationToken ct)
        => Move(lease, t.RetryDelay, r => r.D = a is null
            ? r.D with { Status = t.Status, LastError = t.Reason }
            : r.D with { Status = t.Status, AttemptCount = a.Number, LastAttemptAt = a.StartedAt, LastStatusCode = a.StatusCode, LastError = a.Error });

    public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken ct) => Move(lease, delay, _ => { });

    private Task<bool> Move(WebhookLease lease, TimeSpan delay, Action<Row> change)
    {
        lock (_gate)
        {
            var r = _rows.Find(x => x.D.Id == lease.Delivery.Id);
            if (r is null || r.Lease != lease.LeaseId || r.D.Status != WebhookDeliveryStatus.Pending) return Task.FromResult(false);
            change(r);
            r.Lease = null;
            r.Due = clock.GetUtcNow() + delay;
            return Task.FromResult(true);
        }
    }
}
#endregion
#pragma warning restore IDE0011, SA1402, CA1051, SA1401

#region conformance
/// <summary>README's queue-only store passes the queue suite.</summary>
public sealed class ListQueueConformanceTests : DeliveryQueueConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(new ListQueue(TimeProvider.System));
}
#endregion
