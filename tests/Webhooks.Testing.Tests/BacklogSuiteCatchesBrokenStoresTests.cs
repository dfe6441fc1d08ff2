using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Abstractions.Delivery;
using Xunit.Sdk;

namespace Webhooks.Testing.Tests;

/// <summary>
/// The backlog suite fails the two mistakes a backlog query invites, quickly and naming the rule:
/// taking the earliest due time while ignoring leases (PostgreSQL: <c>min(next_attempt_at)</c>
/// instead of the lease-aware due time), and counting finished deliveries as pending.
/// </summary>
public sealed class BacklogSuiteCatchesBrokenStoresTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task BacklogSuite_HeldLeasesReportedAsDue_FailsTheLeaseRule()
    {
        var failure = await FailureOf(inner => new HeldLeasesStayDue(inner), s => s.GetBacklog_HeldLease_IsNotDue_ExpiredLease_IsDueSinceItsExpiry());

        failure.Message.Should().Contain("Due means leasable: a delivery whose lease is held is not due");
    }

    [Fact]
    public async Task BacklogSuite_FinishedDeliveriesCounted_FailsThePendingRule()
    {
        var failure = await FailureOf(inner => new CountsFinished(inner), s => s.GetBacklog_CountsDueRetryingAndLeased_NotFinished());

        failure.Message.Should().Contain("Pending counts every pending delivery").And.Contain("expected 4, got 6");
    }

    private static async Task<XunitException> FailureOf(Func<IWebhookDeliveryStore, IWebhookDeliveryStore> breaks, Func<Suite, Task> test)
    {
        var suite = new Suite(breaks);
        var watch = Stopwatch.StartNew();
        await suite.InitializeAsync();
        try
        {
            await test(suite).WaitAsync(Bound);
        }
        catch (XunitException ex)
        {
            watch.Elapsed.Should().BeLessThan(Bound);
            return ex;
        }
        finally
        {
            await suite.DisposeAsync();
        }

        throw new XunitException("The suite test passed against a broken store; it must fail.");
    }

    // Not public: xunit discovers only public classes, so it runs only when a test here calls it.
    private sealed class Suite(Func<IWebhookDeliveryStore, IWebhookDeliveryStore> breaks) : DeliveryBacklogConformanceTests
    {
        private ServiceProvider? _services;

        protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() => breaks(await InMemory.DeliveryStore(ref _services));

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await InMemory.DisposeAsync(_services);
        }
    }

    /// <summary>The queue passed through; the backlog is the inner store's unless a subclass changes it.</summary>
    private abstract class BacklogDecorator(IWebhookDeliveryStore inner) : IWebhookDeliveryStore, IWebhookDeliveryBacklog
    {
        protected IWebhookDeliveryBacklog InnerBacklog => (IWebhookDeliveryBacklog)inner;

        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            inner.EnqueueAsync(message, deliveries, context, cancellationToken);

        public virtual Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
            inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);

        public virtual Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
            inner.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);

        public virtual Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) =>
            inner.ReleaseAsync(lease, delay, cancellationToken);

        public virtual Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken) => InnerBacklog.GetBacklogAsync(cancellationToken);
    }

    /// <summary>A leased delivery stays due since it was leased, as a query on the retry time alone (ignoring the lease) reports.</summary>
    private sealed class HeldLeasesStayDue(IWebhookDeliveryStore inner) : BacklogDecorator(inner)
    {
        private readonly ConcurrentDictionary<string, DateTimeOffset> _held = new(StringComparer.Ordinal);

        public override async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
        {
            var leases = await base.LeaseAsync(maxCount, leaseDuration, cancellationToken);
            var now = (await InnerBacklog.GetBacklogAsync(cancellationToken)).MeasuredAt;
            foreach (var lease in leases)
            {
                _held[lease.LeaseId] = now;
            }

            return leases;
        }

        public override Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
        {
            _held.TryRemove(lease.LeaseId, out _);
            return base.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);
        }

        public override Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
        {
            _held.TryRemove(lease.LeaseId, out _);
            return base.ReleaseAsync(lease, delay, cancellationToken);
        }

        public override async Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken)
        {
            var backlog = await base.GetBacklogAsync(cancellationToken);
            var held = _held.Values.Order().Cast<DateTimeOffset?>().FirstOrDefault();
            return held is null || (backlog.OldestDueAt is { } due && due <= held) ? backlog : backlog with { OldestDueAt = held };
        }
    }

    /// <summary>Counts every delivery ever finished as still pending.</summary>
    private sealed class CountsFinished(IWebhookDeliveryStore inner) : BacklogDecorator(inner)
    {
        private int _finished;

        public override async Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
        {
            var done = await base.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);
            if (done && transition.Status != WebhookDeliveryStatus.Pending)
            {
                Interlocked.Increment(ref _finished);
            }

            return done;
        }

        public override async Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken)
        {
            var backlog = await base.GetBacklogAsync(cancellationToken);
            return backlog with { Pending = backlog.Pending + Volatile.Read(ref _finished) };
        }
    }
}
