using System.Diagnostics;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// What the delivery suites share: building messages and deliveries the way the engine does,
/// running an attempt through the queue, and waiting (bounded) for a delivery to become due on
/// the store's own clock. Holds no tests: derive from <see cref="DeliveryQueueConformanceTests"/>
/// and from the suite of each optional capability your store implements.
/// </summary>
/// <remarks>
/// <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/> must return an empty store:
/// leasing takes any due delivery, so leftovers from another test would be leased too. The
/// capability suites expect the object returned to implement their capability as well.
/// </remarks>
public abstract class DeliveryStoreConformanceTestBase : StoreConformanceTests<IWebhookDeliveryStore>
{
    /// <summary>A lease long enough never to expire during a test: used wherever expiry is not the point.</summary>
    protected static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Builds a message with a fresh id that sorts after every earlier one, the engine's way.</summary>
    /// <param name="owner">The owner it is published for.</param>
    /// <param name="createdAt">When the engine accepted it (also its timestamp); <see cref="StoreConformanceTests{TStore}.T0"/> by default.</param>
    /// <returns>The message (not stored), with a small JSON payload.</returns>
    protected static WebhookMessage NewMessage(string? owner = null, DateTimeOffset? createdAt = null) => new()
    {
        Id = WebhookIds.New(WebhookIds.MessagePrefix, DateTimeOffset.UtcNow),
        EventType = "order.created",
        Timestamp = createdAt ?? T0,
        CreatedAt = createdAt ?? T0,
        Owner = owner,
        Payload = "{\"type\":\"order.created\",\"data\":{\"id\":1}}"u8.ToArray(),
    };

    /// <summary>Builds a pending delivery of <paramref name="message"/> with a fresh id that sorts after every earlier one, the engine's way.</summary>
    /// <param name="message">The message.</param>
    /// <param name="subscriptionId">The subscription it goes to.</param>
    /// <returns>The delivery (not stored), created when its message was.</returns>
    protected static WebhookDelivery NewDelivery(WebhookMessage message, string subscriptionId)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new()
        {
            Id = WebhookIds.New(WebhookIds.DeliveryPrefix, DateTimeOffset.UtcNow),
            MessageId = message.Id,
            SubscriptionId = subscriptionId,
            EventType = message.EventType,
            Owner = message.Owner,
            Status = WebhookDeliveryStatus.Pending,
            CreatedAt = message.CreatedAt,
        };
    }

    /// <summary>A 2xx attempt.</summary>
    /// <param name="number">The attempt number (1 for the first).</param>
    /// <param name="startedAt">When it started.</param>
    /// <returns>The attempt.</returns>
    protected static WebhookAttempt Ok(int number, DateTimeOffset startedAt) =>
        new() { Number = number, StartedAt = startedAt, Duration = TimeSpan.FromMilliseconds(5), StatusCode = 200, ResponseExcerpt = "ok" };

    /// <summary>An attempt the receiver answered 500.</summary>
    /// <param name="number">The attempt number (1 for the first).</param>
    /// <param name="startedAt">When it started.</param>
    /// <returns>The attempt.</returns>
    protected static WebhookAttempt Failed(int number, DateTimeOffset startedAt) =>
        new() { Number = number, StartedAt = startedAt, Duration = TimeSpan.FromMilliseconds(5), StatusCode = 500, ErrorKind = WebhookErrorKind.HttpStatus, Error = "The receiver answered 500." };

    /// <summary>The transition that finishes a delivery.</summary>
    /// <param name="succeeded">Succeeded, or failed (given up).</param>
    /// <param name="reason">Why it finished without an attempt, if it did.</param>
    /// <returns>The transition.</returns>
    protected static WebhookDeliveryTransition Finished(bool succeeded, string? reason = null) =>
        new(succeeded ? WebhookDeliveryStatus.Succeeded : WebhookDeliveryStatus.Failed, default, reason);

    /// <summary>The transition that keeps a delivery pending, due again after <paramref name="delay"/> on the store's clock.</summary>
    /// <param name="delay">The retry delay.</param>
    /// <param name="reason">Why it moved without an attempt, if it did.</param>
    /// <returns>The transition.</returns>
    protected static WebhookDeliveryTransition RetryAfter(TimeSpan delay, string? reason = null) =>
        new(WebhookDeliveryStatus.Pending, delay, reason);

    /// <summary>Enqueues a message and its deliveries outside any transaction.</summary>
    /// <param name="message">The message.</param>
    /// <param name="deliveries">Its deliveries.</param>
    /// <returns>What the store did.</returns>
    protected Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, params WebhookDelivery[] deliveries) =>
        Store.EnqueueAsync(message, deliveries, null, Cancellation);

    /// <summary>Enqueues a message with one delivery.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="owner">The message's owner.</param>
    /// <param name="createdAt">When the engine created the message and delivery.</param>
    /// <param name="eventType">The event type.</param>
    /// <returns>The delivery as enqueued.</returns>
    protected async Task<WebhookDelivery> EnqueueOneAsync(string subscriptionId = "sub_a", string? owner = null, DateTimeOffset? createdAt = null, string eventType = "order.created")
    {
        var message = NewMessage(owner, createdAt) with { EventType = eventType };
        var delivery = NewDelivery(message, subscriptionId);
        var result = await EnqueueAsync(message, delivery).ConfigureAwait(false);
        Assert.Equal(new WebhookEnqueueResult(message.Id, 1, false), result);
        return delivery;
    }

    /// <summary>Leases every due delivery (up to 100), each for <paramref name="leaseDuration"/>.</summary>
    /// <param name="leaseDuration">How long each is held; <see cref="LongLease"/> by default.</param>
    /// <returns>The leases.</returns>
    protected Task<IReadOnlyList<WebhookLease>> LeaseAsync(TimeSpan? leaseDuration = null) =>
        Store.LeaseAsync(100, leaseDuration ?? LongLease, Cancellation);

    /// <summary>Leases now and expects exactly the delivery <paramref name="deliveryId"/> to be due.</summary>
    /// <param name="deliveryId">The delivery.</param>
    /// <param name="leaseDuration">How long it is held; <see cref="LongLease"/> by default.</param>
    /// <returns>Its lease.</returns>
    protected async Task<WebhookLease> LeaseOnlyAsync(string deliveryId, TimeSpan? leaseDuration = null)
    {
        var leases = await LeaseAsync(leaseDuration).ConfigureAwait(false);
        Assert.True(
            leases.Count == 1 && leases[0].Delivery.Id == deliveryId,
            $"Expected exactly delivery {deliveryId} to be due and leased now, got [{string.Join(", ", leases.Select(l => l.Delivery.Id))}].");
        return leases[0];
    }

    /// <summary>
    /// Leases until <paramref name="deliveryId"/> comes back, polling every few milliseconds. Fails if
    /// it comes back before <paramref name="notBefore"/> has passed since <paramref name="since"/> (a
    /// <see cref="Stopwatch.GetTimestamp"/> taken before the write that set its due time), or has not
    /// come back by <paramref name="notBefore"/> plus <see cref="StoreConformanceTests{TStore}.WaitLimit"/>.
    /// </summary>
    /// <param name="deliveryId">The delivery.</param>
    /// <param name="since">When the delay started, measured before the store call that started it.</param>
    /// <param name="notBefore">The delay the store must keep (its resolution, <see cref="StoreConformanceTests{TStore}.ClockTolerance"/>, allowed).</param>
    /// <param name="rule">The rule being checked, for the failure message.</param>
    /// <param name="leaseDuration">How long the new lease is held; <see cref="LongLease"/> by default.</param>
    /// <returns>The new lease.</returns>
    protected async Task<WebhookLease> LeaseWhenDueAsync(string deliveryId, long since, TimeSpan notBefore, string rule, TimeSpan? leaseDuration = null)
    {
        var deadline = DeadlineAfter(notBefore + WaitLimit);
        for (int poll = 0; poll < 100_000 && !IsPast(deadline); poll++)
        {
            var leases = await LeaseAsync(leaseDuration).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(since);
            var lease = leases.FirstOrDefault(l => l.Delivery.Id == deliveryId);
            if (lease is not null)
            {
                Assert.True(
                    elapsed >= notBefore - ClockTolerance,
                    $"{rule}: delivery {deliveryId} was leased {elapsed.TotalMilliseconds:F0} ms after the write, before its {notBefore.TotalMilliseconds:F0} ms were over.");
                return lease;
            }

            await Task.Delay(PollInterval, Cancellation).ConfigureAwait(false);
        }

        Assert.Fail($"{rule}: delivery {deliveryId} was not leasable {(notBefore + WaitLimit).TotalMilliseconds:F0} ms after the write (it should be due after {notBefore.TotalMilliseconds:F0} ms on the store's clock).");
        return null!;
    }

    /// <summary>Waits in real time until a delay started at <paramref name="since"/> is surely over on the store's clock.</summary>
    /// <param name="since">A <see cref="Stopwatch.GetTimestamp"/> taken before the store call that started the delay.</param>
    /// <param name="delay">The delay.</param>
    /// <returns>A task.</returns>
    protected Task WaitPastAsync(long since, TimeSpan delay)
    {
        var left = delay + ClockTolerance + ClockTolerance - Stopwatch.GetElapsedTime(since);
        return left > TimeSpan.Zero ? Task.Delay(left, Cancellation) : Task.CompletedTask;
    }

    /// <summary>
    /// Runs one attempt through the queue: enqueues a message with one delivery (created at the
    /// attempt's start unless given), leases it (it must be the only one due) and completes it.
    /// </summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="owner">The message's owner.</param>
    /// <param name="attempt">The attempt, or <see langword="null"/> for a completion that sent nothing.</param>
    /// <param name="transition">Where the delivery goes.</param>
    /// <param name="createdAt">When the delivery was created; the attempt's start (or <see cref="StoreConformanceTests{TStore}.T0"/>) by default.</param>
    /// <returns>The delivery as enqueued.</returns>
    protected async Task<WebhookDelivery> AttemptAsync(string subscriptionId, string? owner, WebhookAttempt? attempt, WebhookDeliveryTransition transition, DateTimeOffset? createdAt = null)
    {
        var delivery = await EnqueueOneAsync(subscriptionId, owner, createdAt ?? attempt?.StartedAt ?? T0).ConfigureAwait(false);
        var lease = await LeaseOnlyAsync(delivery.Id).ConfigureAwait(false);
        Assert.True(await Store.CompleteAttemptAsync(lease, attempt, transition, Cancellation).ConfigureAwait(false), "Completing under a lease just taken must succeed.");
        return delivery;
    }

    /// <summary>Creates a delivery and finishes it with one attempt started when it was created.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="createdAt">When it was created (and attempted).</param>
    /// <param name="succeeded">Finished as succeeded or failed.</param>
    /// <param name="owner">The message's owner.</param>
    /// <returns>The delivery as enqueued.</returns>
    protected Task<WebhookDelivery> FinishAsync(string subscriptionId, DateTimeOffset createdAt, bool succeeded, string? owner = null) =>
        AttemptAsync(subscriptionId, owner, succeeded ? Ok(1, createdAt) : Failed(1, createdAt), Finished(succeeded));
}
