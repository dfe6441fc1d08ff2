using System.Diagnostics;
using System.Reflection;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Testing.Tests.Broken;
using Webhooks.Testing.Tests.Stores;
using Xunit.Sdk;

namespace Webhooks.Testing.Tests;

/// <summary>
/// The suites are worth running only if they fail a broken store, quickly, with a message naming
/// the broken rule, and never hang. Each test here wraps a correct store in a decorator that breaks
/// one rule, runs a suite test against it directly, and checks how it fails and how long it took.
/// </summary>
public sealed class SuitesCatchBrokenStoresTests
{
    // A suite test's own limit is 30 s (StoreConformanceTests.TestTimeout); a broken store must fail it well before.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task QueueSuite_StoreThatReLeasesHeldDeliveries_FailsConcurrentLeasingQuickly()
    {
        // The old suite looped forever here (1.5 GB before it was killed).
        var failure = await FailureOf(new Queue(() => new ReLeasesHeldDeliveries(new ReferenceDeliveryStore())), s => s.Lease_ConcurrentCallers_NeverShareADelivery());

        failure.Message.Should().Contain("Lease exclusivity broken").And.Contain("while another caller held it");
    }

    [Fact]
    public async Task QueueSuite_StoreThatReLeasesHeldDeliveries_FailsLeaseExpiry()
    {
        var failure = await FailureOf(new Queue(() => new ReLeasesHeldDeliveries(new ReferenceDeliveryStore())), s => s.Lease_HeldUntilExpiry_ThenTakenOver());

        failure.Message.Should().Contain("A held lease keeps others out until it expires").And.Contain("before its");
    }

    [Fact]
    public async Task QueueSuite_CompleteThatIgnoresTheLeaseId_FailsStaleHolderTests()
    {
        static IWebhookDeliveryStore Broken() => new IgnoresLeaseIdOnComplete(new ReferenceDeliveryStore());

        var stale = await FailureOf(new Queue(Broken), s => s.CompleteAttempt_StaleHolderAfterTakeOver_IsRefusedAndWritesNothing());
        var twice = await FailureOf(new Queue(Broken), s => s.CompleteAttempt_SameLeaseTwice_SecondIsRefused());
        var log = await FailureOf(new Log(Broken), s => s.CompleteAttempt_StaleHolder_WritesNoAttempt());

        stale.Message.Should().Contain("A holder whose lease was taken over must be refused");
        twice.Message.Should().Contain("An old lease must be refused after the delivery was leased anew");
        log.Should().NotBeNull();
    }

    [Fact]
    public async Task QueueSuite_StoreThatDeduplicatesOnTimestamp_FailsWindowTest()
    {
        var failure = await FailureOf(new Queue(() => new DeduplicatesOnTimestamp(new ReferenceDeliveryStore())), s => s.Enqueue_WindowMeasuredFromCreatedAt_NotTimestamp());

        failure.Message.Should().Contain("whatever its Timestamp says");
    }

    [Fact]
    public async Task SubscriptionSuite_UpdateThatIgnoresTheVersion_FailsConcurrencyTests()
    {
        static IWebhookSubscriptionStore Broken() => new IgnoresVersionOnUpdate(new ReferenceSubscriptionStore());

        var lost = await FailureOf(new Subscriptions(Broken), s => s.Update_ConcurrentWritersAtSameVersion_ExactlyOneWinsEveryRound());
        var stale = await FailureOf(new Subscriptions(Broken), s => s.Update_StaleVersion_ThrowsConcurrencyAndKeepsStoredState());

        lost.Message.Should().Contain("Lost update in round 1");
        stale.Should().NotBeNull();
    }

    [Fact]
    public async Task SubscriptionSuite_UpdateThatChecksThenWrites_PassesSequentialTestsButFailsLostUpdateEveryRun()
    {
        static IWebhookSubscriptionStore Broken() => new ChecksVersionThenWrites(new ReferenceSubscriptionStore());

        // One writer at a time cannot tell it from a correct store...
        await PassOf(new Subscriptions(Broken), s => s.Update_StaleVersion_ThrowsConcurrencyAndKeepsStoredState());
        await PassOf(new Subscriptions(Broken), s => s.Update_AtCurrentVersion_StoresChangeWithNextVersion());

        // ...concurrent writers always can: the lost-update test fails on every run, not one in three.
        for (int run = 0; run < 5; run++)
        {
            var failure = await FailureOf(new Subscriptions(Broken), s => s.Update_ConcurrentWritersAtSameVersion_ExactlyOneWinsEveryRound());
            failure.Message.Should().Contain("Lost update");
        }
    }

    [Fact]
    public async Task SubscriptionSuite_UpdateThatRemovesThenAdds_FailsReadersTest()
    {
        var failure = await FailureOf(new Subscriptions(() => new RemovesThenAddsOnUpdate(new ReferenceSubscriptionStore())), s => s.Update_ConcurrentReaders_NeverSeeItMissing());

        failure.Message.Should().Contain("must never read as missing");
    }

    /// <summary>
    /// Every test of every suite, run against stores broken in different ways (one that hands out
    /// held deliveries, one that never leases a delivery twice, one that loses updates), finishes well within
    /// its time limit, passing or failing: no loop or wait in the suites is unbounded.
    /// </summary>
    [Fact]
    public async Task EverySuiteTest_AgainstBrokenStores_FinishesWithinItsTimeLimit()
    {
        static IWebhookDeliveryStore ReLeases() => new ReLeasesHeldDeliveries(new ReferenceDeliveryStore());
        static IWebhookDeliveryStore Once() => new LeasesEachDeliveryOnce(new ReferenceDeliveryStore());
        var runs = new List<(string Name, Func<Task> Run)>();
        foreach (var store in new[] { (Func<IWebhookDeliveryStore>)ReLeases, Once })
        {
            runs.AddRange(TestsOf(() => new Queue(store)));
            runs.AddRange(TestsOf(() => new Log(store)));
            runs.AddRange(TestsOf(() => new Administration(store)));
            runs.AddRange(TestsOf(() => new Statistics(store)));
            runs.AddRange(TestsOf(() => new Retention(store)));
        }

        runs.AddRange(TestsOf(() => new Subscriptions(() => new IgnoresVersionOnUpdate(new ReferenceSubscriptionStore()))));

        using var slots = new SemaphoreSlim(8);
        var outcomes = await Task.WhenAll(runs.Select(async r =>
        {
            await slots.WaitAsync();
            try
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    await r.Run().WaitAsync(TimeSpan.FromSeconds(35));
                }
                catch (TimeoutException) when (watch.Elapsed >= TimeSpan.FromSeconds(35))
                {
                    return (r.Name, Hung: true, watch.Elapsed);
                }
                catch (Exception)
                {
                    // Failing is fine here; hanging is not.
                }

                return (r.Name, Hung: false, watch.Elapsed);
            }
            finally
            {
                slots.Release();
            }
        }));

        runs.Should().HaveCountGreaterThan(100);
        outcomes.Where(o => o.Hung).Select(o => o.Name).Should().BeEmpty();
        outcomes.Max(o => o.Elapsed).Should().BeLessThan(TimeSpan.FromSeconds(31));
    }

    private static async Task<XunitException> FailureOf<TSuite>(TSuite suite, Func<TSuite, Task> test)
        where TSuite : IAsyncLifetime
    {
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
        catch (TimeoutException) when (watch.Elapsed >= Bound)
        {
            throw new XunitException($"The suite test ran for {Bound.TotalSeconds} s against a broken store without failing: it must fail, and quickly.");
        }
        finally
        {
            await suite.DisposeAsync();
        }

        throw new XunitException("The suite test passed against a broken store; it must fail.");
    }

    private static async Task PassOf<TSuite>(TSuite suite, Func<TSuite, Task> test)
        where TSuite : IAsyncLifetime
    {
        await suite.InitializeAsync();
        try
        {
            await test(suite).WaitAsync(Bound);
        }
        finally
        {
            await suite.DisposeAsync();
        }
    }

    /// <summary>Every [Fact] and [InlineData] case of a suite, each run on a fresh suite instance as xunit would.</summary>
    private static IEnumerable<(string Name, Func<Task> Run)> TestsOf<TSuite>(Func<TSuite> create)
        where TSuite : IAsyncLifetime
    {
        foreach (var method in typeof(TSuite).GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            List<object[]> cases = method.GetCustomAttribute<TheoryAttribute>() is not null
                ? [.. method.GetCustomAttributes<InlineDataAttribute>().Select(d => d.GetData(method).Single())]
                : method.GetCustomAttribute<FactAttribute>() is not null ? [[]] : [];
            foreach (var args in cases)
            {
                yield return ($"{typeof(TSuite).Name}.{method.Name}", async () =>
                {
                    var suite = create();
                    await suite.InitializeAsync();
                    try
                    {
                        await (Task)method.Invoke(suite, args)!;
                    }
                    finally
                    {
                        await suite.DisposeAsync();
                    }
                });
            }
        }
    }

    // Not public: xunit discovers only public classes, so these run only when a test here calls them.
    private sealed class Queue(Func<IWebhookDeliveryStore> store) : DeliveryQueueConformanceTests
    {
        protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult(store());
    }

    private sealed class Log(Func<IWebhookDeliveryStore> store) : DeliveryLogConformanceTests
    {
        protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult(store());
    }

    private sealed class Administration(Func<IWebhookDeliveryStore> store) : DeliveryAdministrationConformanceTests
    {
        protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult(store());
    }

    private sealed class Statistics(Func<IWebhookDeliveryStore> store) : DeliveryStatisticsConformanceTests
    {
        protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult(store());
    }

    private sealed class Retention(Func<IWebhookDeliveryStore> store) : DeliveryRetentionConformanceTests
    {
        protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult(store());
    }

    private sealed class Subscriptions(Func<IWebhookSubscriptionStore> store) : SubscriptionStoreConformanceTests
    {
        protected override Task<IWebhookSubscriptionStore> CreateStoreAsync() => Task.FromResult(store());
    }
}
