using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;

namespace Webhooks.Testing.Tests.Stores;

/// <summary>
/// The simplest correct subscription store: one lock around a dictionary. It lets the suites be
/// checked on their own (they must pass against it) and is what the broken decorators wrap.
/// </summary>
internal sealed class ReferenceSubscriptionStore : IWebhookSubscriptionStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, WebhookSubscription> _byId = new(StringComparer.Ordinal);

    public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_byId.ContainsKey(subscription.Id))
            {
                throw new WebhookConflictException($"The id '{subscription.Id}' is taken.");
            }

            EnsureNameFree(subscription);
            var stored = subscription with { Version = 1 };
            _byId[stored.Id] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_byId.GetValueOrDefault(id));
        }
    }

    public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var items = _byId.Values
                .Where(s => s.Owner == query.Owner)
                .Where(s => query.Cursor is null || string.CompareOrdinal(s.Id, query.Cursor) > 0)
                .Where(s => query.Event is null || s.Events.Contains(query.Event, StringComparer.Ordinal))
                .Where(s => query.Active is null || s.Active == query.Active)
                .Take(query.Limit + 1)
                .ToList();
            return Task.FromResult(WebhookPaging.FromOverfetch(items, query.Limit, s => s.Id));
        }
    }

    public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<WebhookSubscription> found = [.. _byId.Values.Where(s => s.Owner == owner && s.Active && s.Events.Any(e => patterns.Contains(e, StringComparer.Ordinal)))];
            return Task.FromResult(found);
        }
    }

    public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(subscription.Id, out var stored))
            {
                return Task.FromResult<WebhookSubscription?>(null);
            }

            if (stored.Version != subscription.Version)
            {
                throw new WebhookConcurrencyException(subscription.Id, subscription.Version, stored.Version);
            }

            var next = subscription with { Owner = stored.Owner, CreatedAt = stored.CreatedAt, Version = stored.Version + 1 };
            EnsureNameFree(next);
            _byId[next.Id] = next;
            return Task.FromResult<WebhookSubscription?>(next);
        }
    }

    public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var stored))
            {
                return Task.FromResult(false);
            }

            if (expectedVersion is { } expected && expected != stored.Version)
            {
                throw new WebhookConcurrencyException(id, expected, stored.Version);
            }

            return Task.FromResult(_byId.Remove(id));
        }
    }

    private void EnsureNameFree(WebhookSubscription subscription)
    {
        if (_byId.Values.Any(s => s.Id != subscription.Id && s.Owner == subscription.Owner && s.Name == subscription.Name))
        {
            throw new WebhookConflictException($"The name '{subscription.Name}' is taken.");
        }
    }
}
