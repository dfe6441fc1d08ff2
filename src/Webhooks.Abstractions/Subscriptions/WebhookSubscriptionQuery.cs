namespace Webhooks.Abstractions.Subscriptions;

/// <summary>What <see cref="IWebhookSubscriptionStore.ListAsync"/> returns: one owner's subscriptions in id order.</summary>
/// <param name="Owner">Whose subscriptions (<see langword="null"/>: the ownerless ones).</param>
/// <param name="Limit">Most items per page (1 to <see cref="WebhookPaging.MaxLimit"/>; the engine checks it).</param>
/// <param name="Cursor">The <see cref="WebhookPage{T}.NextCursor"/> of the previous page (an id: return only larger ids), or <see langword="null"/> for the first.</param>
/// <param name="Event">Only subscriptions listing exactly this event name or pattern.</param>
/// <param name="Active">Only active (<see langword="true"/>) or inactive (<see langword="false"/>) ones.</param>
public sealed record WebhookSubscriptionQuery(string? Owner, int Limit = WebhookPaging.DefaultLimit, string? Cursor = null, string? Event = null, bool? Active = null);
