namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// The app's own unit of work that a publish joins (a transactional outbox): a store that lives
/// in the same database as the app derives its own context type (Webhooks.PostgreSql wraps an
/// <c>NpgsqlTransaction</c>) and writes through it, so the message commits or rolls back with the
/// app's data. Passed explicitly from the publish call to the store; a store that does not
/// recognise a context refuses it with a <see cref="WebhookException"/> rather than write outside it.
/// </summary>
public abstract class WebhookEnqueueContext
{
}
