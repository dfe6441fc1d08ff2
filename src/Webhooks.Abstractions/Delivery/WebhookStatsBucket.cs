namespace Webhooks.Abstractions.Delivery;

/// <summary>Counts of attempts in one time bucket.</summary>
/// <param name="Start">The bucket's start.</param>
/// <param name="Succeeded">Attempts answered 2xx.</param>
/// <param name="Failed">Attempts that failed.</param>
public sealed record WebhookStatsBucket(DateTimeOffset Start, int Succeeded, int Failed);
