using Webhooks.Core.Catalog;

namespace Webhooks.Core.Subscriptions;

/// <summary>
/// Where subscriptions live. Implement it to keep them in your own database; run the
/// conformance suite in Webhooks.Testing against your implementation. Stores do not validate
/// (the <see cref="WebhookSubscriptionManager"/> does); they enforce name uniqueness per owner
/// and optimistic concurrency, atomically.
/// </summary>
public interface IWebhookSubscriptionStore
{
    /// <summary>Adds a subscription with <see cref="WebhookSubscription.Version"/> 1.</summary>
    /// <param name="subscription">The subscription, already validated.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored subscription.</returns>
    /// <exception cref="WebhookConflictException">The owner already has a subscription with that name.</exception>
    Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken);

    /// <summary>Gets a subscription by id, whoever owns it.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription, or <see langword="null"/>.</returns>
    Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists one owner's subscriptions in id order, a page at a time.</summary>
    /// <param name="query">Owner, filters and paging.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page and the cursor of the next one.</returns>
    Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The owner's active subscriptions that receive <paramref name="eventType"/>: those listing
    /// any of <see cref="WebhookEventType.GetSubscriptionPatterns"/>. Must not scan every subscription.
    /// </summary>
    /// <param name="owner">The owner the event was published for (<see langword="null"/> matches only ownerless subscriptions).</param>
    /// <param name="eventType">The event type.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The matching active subscriptions, each once.</returns>
    Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, WebhookEventType eventType, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a subscription if the stored version equals <paramref name="subscription"/>'s
    /// <see cref="WebhookSubscription.Version"/>; the stored copy gets the next version.
    /// </summary>
    /// <param name="subscription">The new state, carrying the version it was read at.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored subscription, or <see langword="null"/> when it no longer exists.</returns>
    /// <exception cref="WebhookConcurrencyException">The stored version differs.</exception>
    /// <exception cref="WebhookConflictException">The new name is taken by another of the owner's subscriptions.</exception>
    Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken);

    /// <summary>Deletes a subscription.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when it existed.</returns>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IWebhookSubscriptionStore.ListAsync"/> returns.</summary>
/// <param name="Owner">Whose subscriptions (<see langword="null"/>: the ownerless ones).</param>
/// <param name="Limit">Most items per page (1 to 500).</param>
/// <param name="Cursor">The <see cref="WebhookPage{T}.NextCursor"/> of the previous page, or <see langword="null"/> for the first.</param>
/// <param name="Event">Only subscriptions listing exactly this event name or pattern.</param>
/// <param name="Active">Only active (<see langword="true"/>) or inactive (<see langword="false"/>) ones.</param>
public sealed record WebhookSubscriptionQuery(string? Owner, int Limit = 50, string? Cursor = null, string? Event = null, bool? Active = null);

/// <summary>A page of results.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items.</param>
/// <param name="NextCursor">Pass this to get the next page; <see langword="null"/> on the last page.</param>
public sealed record WebhookPage<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>Paging by fetching one item more than the page holds: its presence says there is a next page.</summary>
internal static class WebhookPaging
{
    public static WebhookPage<T> FromOverfetch<T>(List<T> items, int limit, Func<T, string> cursorOf)
    {
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = cursorOf(items[^1]);
        }

        return new WebhookPage<T>(items, next);
    }
}
