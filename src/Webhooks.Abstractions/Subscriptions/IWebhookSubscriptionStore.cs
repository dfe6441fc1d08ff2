using Webhooks.Abstractions.Delivery;

namespace Webhooks.Abstractions.Subscriptions;

/// <summary>
/// Where subscriptions live. A store stores: the engine validates, applies filters and health
/// rules, and protects secrets before a store sees them (a store receives <see cref="WebhookSecret.Value"/>
/// and <see cref="WebhookAuth.Secret"/> already protected and returns them as given).
/// Run <c>Webhooks.Testing.SubscriptionStoreConformanceTests</c> against an implementation.
/// </summary>
/// <remarks>
/// The rules every implementation keeps:
/// <list type="bullet">
/// <item>Every write is atomic: a reader sees a subscription before or after a change, never
/// missing while it is being updated.</item>
/// <item>Optimistic concurrency: <see cref="UpdateAsync"/> and <see cref="DeleteAsync"/> compare
/// the version and write in one atomic step; of several writers holding the same version exactly one wins.</item>
/// <item>Names are unique per owner (ordinal, case-sensitive); <see cref="WebhookConflictException"/> otherwise.</item>
/// <item><see cref="FindForEventAsync"/> must not scan every subscription: index by (owner, event pattern).</item>
/// <item>Lists are in ordinal id order; a cursor is the last id of the previous page.</item>
/// </list>
/// </remarks>
public interface IWebhookSubscriptionStore
{
    /// <summary>Adds a subscription and returns it with <see cref="WebhookSubscription.Version"/> 1.</summary>
    /// <param name="subscription">The subscription, validated and with secrets protected.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored subscription.</returns>
    /// <exception cref="WebhookConflictException">The id is taken, or the owner already has a subscription with that name.</exception>
    Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken);

    /// <summary>Gets a subscription by id, whoever owns it (the engine checks ownership).</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription, or <see langword="null"/> when none has that id.</returns>
    Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists one owner's subscriptions in ordinal id order, a page at a time.</summary>
    /// <param name="query">Owner, filters and paging (limit and cursor already checked by the engine).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page and the cursor of the next one (see <see cref="WebhookPaging.FromOverfetch"/>).</returns>
    Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The owner's active subscriptions whose <see cref="WebhookSubscription.Events"/> list any of
    /// <paramref name="patterns"/> exactly (the engine expands an event type into its name and the
    /// wildcards that match it). Must not scan every subscription.
    /// </summary>
    /// <param name="owner">The owner the event was published for (<see langword="null"/> matches only ownerless subscriptions).</param>
    /// <param name="patterns">The event name and the patterns that match it, such as <c>order.created</c>, <c>order.*</c>, <c>*</c>.</param>
    /// <param name="context">
    /// The app's transaction when the publish runs inside one (a transactional outbox); a store
    /// that lives in the same database reads through it, so a publish holds one connection. Other stores ignore it.
    /// </param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The matching active subscriptions, each once.</returns>
    Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a subscription if the stored version equals <paramref name="subscription"/>'s
    /// <see cref="WebhookSubscription.Version"/>; the stored copy gets the next version. The owner
    /// and creation time never change: keep the stored ones.
    /// </summary>
    /// <param name="subscription">The new state, carrying the version it was read at.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored subscription, or <see langword="null"/> when it no longer exists.</returns>
    /// <exception cref="WebhookConcurrencyException">The stored version differs.</exception>
    /// <exception cref="WebhookConflictException">The new name is taken by another of the owner's subscriptions.</exception>
    Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken);

    /// <summary>Deletes a subscription, if its stored version is <paramref name="expectedVersion"/> (when given), in one atomic step.</summary>
    /// <param name="id">The id.</param>
    /// <param name="expectedVersion">The version the caller read (HTTP <c>If-Match</c>), or <see langword="null"/> to delete whatever is stored.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when it existed and was deleted.</returns>
    /// <exception cref="WebhookConcurrencyException">The stored version differs from <paramref name="expectedVersion"/>.</exception>
    Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken);
}
