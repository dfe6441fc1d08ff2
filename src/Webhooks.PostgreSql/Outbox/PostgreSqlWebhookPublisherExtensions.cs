using Npgsql;
using Webhooks.Abstractions;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Publishing;

namespace Webhooks.PostgreSql;

/// <summary>
/// The transactional outbox: publish inside the app's own PostgreSQL transaction, so the webhook
/// exists exactly when the app's change does. Rollback means no webhook; commit means it is
/// delivered (every instance's dispatcher is woken by a <c>NOTIFY</c> sent on commit).
/// </summary>
/// <remarks>
/// Requires <c>UsePostgreSql(…)</c>, and the transaction must belong to the same database as the
/// webhook tables. The subscriber lookup and the enqueue both run on the transaction's connection
/// (a <see cref="PostgreSqlEnqueueContext"/> passed through the publisher), so a publish holds no
/// connection besides the app's own.
/// </remarks>
public static class PostgreSqlWebhookPublisherExtensions
{
    /// <summary>Publishes an event by name, enqueueing its deliveries in <paramref name="transaction"/>.</summary>
    /// <param name="publisher">The publisher.</param>
    /// <param name="eventType">A registered event type name.</param>
    /// <param name="data">The envelope's <c>data</c>.</param>
    /// <param name="transaction">The app's open transaction; commit it to send the webhook, roll it back to drop it.</param>
    /// <param name="options">Owner, idempotency key, timestamp.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>The message id and how many deliveries were enqueued (visible to dispatchers once the transaction commits).</returns>
    /// <exception cref="WebhookUnknownEventTypeException">The event type is not registered.</exception>
    /// <exception cref="WebhookException">The transaction is finished, or the PostgreSQL delivery store is not registered.</exception>
    public static Task<WebhookPublishResult> PublishAsync(this IWebhookPublisher publisher, string eventType, object? data, NpgsqlTransaction transaction, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return PublishInAsync(transaction, options, o => publisher.PublishAsync(eventType, data, o, cancellationToken));
    }

    /// <summary>Publishes a typed event, enqueueing its deliveries in <paramref name="transaction"/>.</summary>
    /// <typeparam name="TPayload">The payload type the event was declared with.</typeparam>
    /// <param name="publisher">The publisher.</param>
    /// <param name="eventType">The typed event handle.</param>
    /// <param name="data">The envelope's <c>data</c>.</param>
    /// <param name="transaction">The app's open transaction; commit it to send the webhook, roll it back to drop it.</param>
    /// <param name="options">Owner, idempotency key, timestamp.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>The message id and how many deliveries were enqueued (visible to dispatchers once the transaction commits).</returns>
    /// <exception cref="WebhookUnknownEventTypeException">The event type is not registered.</exception>
    /// <exception cref="WebhookException">The transaction is finished, or the PostgreSQL delivery store is not registered.</exception>
    public static Task<WebhookPublishResult> PublishAsync<TPayload>(this IWebhookPublisher publisher, WebhookEvent<TPayload> eventType, TPayload data, NpgsqlTransaction transaction, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return PublishInAsync(transaction, options, o => publisher.PublishAsync(eventType, data, o, cancellationToken));
    }

    private static async Task<WebhookPublishResult> PublishInAsync(NpgsqlTransaction transaction, WebhookPublishOptions? options, Func<WebhookPublishOptions, Task<WebhookPublishResult>> publish)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Connection is null)
        {
            throw PostgreSqlEnqueueContext.Finished();
        }

        var context = new PostgreSqlEnqueueContext(transaction);
        WebhookPublishResult result;
        try
        {
            result = await publish((options ?? new WebhookPublishOptions()) with { EnqueueContext = context }).ConfigureAwait(false);
        }
        catch (WebhookException ex) when (!context.Used && ex.GetType() == typeof(WebhookException))
        {
            // A store of another kind refused the context (validation errors are subclasses): say which registration is missing.
            throw NotPostgreSql(ex);
        }

        // The publisher skips the store only when nothing matched and no key was given; otherwise our store must have taken the transaction.
        if (!context.Used && (result.DeliveryCount > 0 || options?.IdempotencyKey is not null))
        {
            throw NotPostgreSql(null);
        }

        return result;
    }

    private static WebhookException NotPostgreSql(Exception? inner) =>
        new("PublishAsync with a transaction needs the PostgreSQL stores: call UsePostgreSql(…) on AddWebhooks(). The registered store cannot write through the transaction.", inner);
}
