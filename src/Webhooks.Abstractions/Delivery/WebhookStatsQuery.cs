namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// What <see cref="IWebhookDeliveryStatistics.GetStatsAsync"/> counts: attempts whose
/// <see cref="WebhookAttempt.StartedAt"/> falls in one of <see cref="BucketCount"/> consecutive
/// buckets of <see cref="BucketWidth"/>, the first starting at <see cref="Start"/>. The engine aligns
/// <see cref="Start"/> and <see cref="BucketWidth"/> to whole minutes.
/// </summary>
/// <param name="Owner">Whose attempts (the message's owner).</param>
/// <param name="SubscriptionId">Only this subscription's attempts, or all of the owner's.</param>
/// <param name="Start">The first bucket's start (whole minute, UTC).</param>
/// <param name="BucketWidth">Each bucket's width (whole minutes, at least one).</param>
/// <param name="BucketCount">How many buckets (1 to 10,000).</param>
public sealed record WebhookStatsQuery(string? Owner, string? SubscriptionId, DateTimeOffset Start, TimeSpan BucketWidth, int BucketCount);
