using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Abstractions.Delivery;
using Xunit.Sdk;

namespace Webhooks.Testing.Tests;

/// <summary>
/// The ordering suite fails a store that declares <see cref="IWebhookDeliveryOrdering"/> but leases
/// keyed deliveries like any others (it keeps the key, not the rule), quickly and naming the rule.
/// </summary>
public sealed class OrderingSuiteCatchesBrokenStoresTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task OrderingSuite_KeysIgnoredWhenLeasing_FailsTheOneAtATimeRule()
    {
        var suite = new Suite();
        var watch = Stopwatch.StartNew();
        await suite.InitializeAsync();
        XunitException? failure = null;
        try
        {
            await suite.Lease_SameKey_OneAtATimeInEnqueueOrder().WaitAsync(Bound);
        }
        catch (XunitException ex)
        {
            failure = ex;
        }
        finally
        {
            await suite.DisposeAsync();
        }

        failure.Should().NotBeNull("the suite must fail a store that ignores ordering keys");
        failure!.Message.Should().Contain("Expected exactly delivery");
        watch.Elapsed.Should().BeLessThan(Bound);
    }

    // Not public: xunit discovers only public classes, so it runs only when a test here calls it.
    private sealed class Suite : DeliveryOrderingConformanceTests
    {
        private ServiceProvider? _services;

        protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() => new KeysIgnored(await InMemory.DeliveryStore(ref _services));

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await InMemory.DisposeAsync(_services);
        }
    }

    /// <summary>Says it keeps order, but hands the inner store deliveries without their key (so nothing waits) and puts the key back on the lease.</summary>
    private sealed class KeysIgnored(IWebhookDeliveryStore inner) : IWebhookDeliveryStore, IWebhookDeliveryOrdering
    {
        private readonly Dictionary<string, string?> _keys = [];

        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
        {
            lock (_keys)
            {
                foreach (var d in deliveries)
                {
                    _keys[d.Id] = d.OrderingKey;
                }
            }

            return inner.EnqueueAsync(message, [.. deliveries.Select(d => d with { OrderingKey = null })], context, cancellationToken);
        }

        public async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
        {
            var leases = await inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);
            lock (_keys)
            {
                return [.. leases.Select(l => l with { Delivery = l.Delivery with { OrderingKey = _keys.GetValueOrDefault(l.Delivery.Id) } })];
            }
        }

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
            inner.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) =>
            inner.ReleaseAsync(lease, delay, cancellationToken);
    }
}
