using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryStatistics"/> as tests, for a delivery store that also
/// implements it: attempts recorded through the queue counted per bucket of their start time, every
/// bucket returned, per owner or per subscription. The engine aligns the buckets; the store only
/// counts what falls in each.
/// </summary>
public abstract class DeliveryStatisticsConformanceTests : DeliveryStoreConformanceTestBase
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>The store under test as statistics.</summary>
    protected IWebhookDeliveryStatistics Statistics => Store as IWebhookDeliveryStatistics
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IWebhookDeliveryStatistics; derive only from the suites of the capabilities it implements.");

    /// <summary>
    /// Rule: every bucket asked for is returned, oldest first, starting at <c>Start + i·BucketWidth</c>,
    /// empty ones with zeros; succeeded attempts (no error) and failed ones are counted apart;
    /// attempts outside the buckets are not counted.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetStats_CountsAttemptsPerBucketOldestFirstWithZeros()
    {
        await AttemptAsync("sub_a", "t", Ok(1, T0.AddSeconds(10)), Finished(true));
        await AttemptAsync("sub_a", "t", Failed(1, T0.AddSeconds(50)), Finished(false));
        await AttemptAsync("sub_a", "t", Ok(1, T0.AddSeconds(90)), Finished(true));
        await AttemptAsync("sub_a", "t", Failed(1, T0.AddSeconds(200)), Finished(false));
        await AttemptAsync("sub_a", "t", Failed(1, T0.AddSeconds(230)), Finished(false));
        await AttemptAsync("sub_a", "t", Ok(1, T0.AddMinutes(7)), Finished(true));
        await AttemptAsync("sub_a", "t", Ok(1, T0.AddMinutes(-1)), Finished(true));

        var minutes = await Statistics.GetStatsAsync(new WebhookStatsQuery("t", null, T0, Minute, 5), Cancellation);
        var fives = await Statistics.GetStatsAsync(new WebhookStatsQuery("t", null, T0, TimeSpan.FromMinutes(5), 3), Cancellation);

        AssertBuckets(minutes, T0, Minute, [(1, 1), (1, 0), (0, 0), (0, 2), (0, 0)]);
        AssertBuckets(fives, T0, TimeSpan.FromMinutes(5), [(2, 3), (1, 0), (0, 0)]);
    }

    /// <summary>
    /// Rule: bucket <c>i</c> holds the attempts with <c>Start + i·Width ≤ StartedAt &lt; Start + (i+1)·Width</c>:
    /// an attempt exactly on an edge counts in the bucket that starts there; one just before
    /// <c>Start</c> or at the end of the last bucket is not counted.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetStats_BucketEdges_StartInclusiveEndExclusive()
    {
        var ms = TimeSpan.FromMilliseconds(1);
        await AttemptAsync("sub_a", "t", Ok(1, T0 - ms), Finished(true));
        await AttemptAsync("sub_a", "t", Ok(1, T0), Finished(true));
        await AttemptAsync("sub_a", "t", Ok(1, T0 + Minute - ms), Finished(true));
        await AttemptAsync("sub_a", "t", Failed(1, T0 + Minute), Finished(false));
        await AttemptAsync("sub_a", "t", Failed(1, T0 + (3 * Minute) - ms), Finished(false));
        await AttemptAsync("sub_a", "t", Failed(1, T0 + (3 * Minute)), Finished(false));

        var buckets = await Statistics.GetStatsAsync(new WebhookStatsQuery("t", null, T0, Minute, 3), Cancellation);

        AssertBuckets(buckets, T0, Minute, [(2, 0), (0, 1), (0, 1)]);
    }

    /// <summary>
    /// Rule: a query counts one owner's attempts (the message's owner), across its subscriptions or
    /// for one subscription; other owners' attempts never count, and a <see langword="null"/> owner
    /// counts only ownerless ones.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetStats_OwnerAndSubscriptionFilters()
    {
        await AttemptAsync("sub_a", "tenant-1", Ok(1, T0), Finished(true));
        await AttemptAsync("sub_a", "tenant-1", Failed(1, T0), Finished(false));
        await AttemptAsync("sub_b", "tenant-1", Ok(1, T0), Finished(true));
        await AttemptAsync("sub_c", "tenant-2", Ok(1, T0), Finished(true));
        await AttemptAsync("sub_d", null, Failed(1, T0), Finished(false));

        async Task<(int, int)> Count(string? owner, string? subscriptionId)
        {
            var b = Assert.Single(await Statistics.GetStatsAsync(new WebhookStatsQuery(owner, subscriptionId, T0, Minute, 1), Cancellation));
            return (b.Succeeded, b.Failed);
        }

        Assert.Equal((2, 1), await Count("tenant-1", null));
        Assert.Equal((1, 1), await Count("tenant-1", "sub_a"));
        Assert.Equal((1, 0), await Count("tenant-1", "sub_b"));
        Assert.Equal((0, 0), await Count("tenant-1", "sub_c"));
        Assert.Equal((1, 0), await Count("tenant-2", null));
        Assert.Equal((0, 1), await Count(null, null));
        Assert.Equal((0, 0), await Count("tenant-3", null));
    }

    /// <summary>
    /// Rule: every attempt recorded counts, retries included, and any error kind is a failure;
    /// completions without an attempt (nothing was sent) are not counted at all.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetStats_CountsEveryAttemptButNotCompletionsWithoutOne()
    {
        var delivery = await EnqueueOneAsync("sub_a", "t", T0);
        var lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, Failed(1, T0.AddSeconds(1)), RetryAfter(TimeSpan.Zero), Cancellation));
        lease = await LeaseOnlyAsync(delivery.Id);
        var timeout = new WebhookAttempt { Number = 2, StartedAt = T0.AddSeconds(2), ErrorKind = WebhookErrorKind.Timeout, Error = "Timed out." };
        Assert.True(await Store.CompleteAttemptAsync(lease, timeout, RetryAfter(TimeSpan.Zero), Cancellation));
        lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, null, RetryAfter(TimeSpan.Zero, "Subscription disabled for a moment."), Cancellation));
        lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, Ok(3, T0.AddSeconds(3)), Finished(true), Cancellation));
        await AttemptAsync("sub_a", "t", null, Finished(false, "The subscription was deleted; nothing was sent."), T0);
        var redirect = new WebhookAttempt { Number = 1, StartedAt = T0.AddSeconds(4), StatusCode = 301, ErrorKind = WebhookErrorKind.HttpStatus, Error = "Redirects are not followed." };
        await AttemptAsync("sub_a", "t", redirect, Finished(false));

        var bucket = Assert.Single(await Statistics.GetStatsAsync(new WebhookStatsQuery("t", "sub_a", T0, Minute, 1), Cancellation));

        Assert.Equal((1, 3), (bucket.Succeeded, bucket.Failed));
    }

    /// <summary>Rule: with nothing recorded, every bucket is still returned, with zeros (a graph needs every point).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetStats_NothingRecorded_ReturnsEveryBucketWithZeros()
    {
        var buckets = await Statistics.GetStatsAsync(new WebhookStatsQuery("t", null, T0, TimeSpan.FromMinutes(15), 96), Cancellation);

        AssertBuckets(buckets, T0, TimeSpan.FromMinutes(15), Enumerable.Repeat((0, 0), 96).ToArray());
    }

    /// <summary>Asserts the buckets start where they should, one width apart, with the expected counts.</summary>
    /// <param name="buckets">What the store returned.</param>
    /// <param name="start">The first bucket's start.</param>
    /// <param name="width">The width.</param>
    /// <param name="expected">Succeeded and failed counts per bucket.</param>
    protected static void AssertBuckets(IReadOnlyList<WebhookStatsBucket> buckets, DateTimeOffset start, TimeSpan width, (int Succeeded, int Failed)[] expected)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentNullException.ThrowIfNull(expected);
        Assert.True(buckets.Count == expected.Length, $"Every bucket asked for is returned: expected {expected.Length}, got {buckets.Count}.");
        Assert.Equal(Enumerable.Range(0, expected.Length).Select(i => start + (i * width)), buckets.Select(b => b.Start));
        Assert.Equal(expected, buckets.Select(b => (b.Succeeded, b.Failed)));
    }
}
