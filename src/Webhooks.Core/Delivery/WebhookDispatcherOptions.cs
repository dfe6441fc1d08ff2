namespace Webhooks.Core.Delivery;

/// <summary>The hosted dispatcher's settings (<c>Webhooks:Dispatcher</c>).</summary>
public sealed class WebhookDispatcherOptions
{
    /// <summary>
    /// Whether this process runs the hosted dispatcher loop. Turn it off on publish-only instances
    /// that share a durable store (SQLite file, PostgreSQL) with a worker that sends, or when you
    /// call <see cref="IWebhookDispatcher.DispatchAsync"/> yourself. Test sends stay immediate either way.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;
}
