namespace Webhooks.PostgreSql;

/// <summary>
/// Settings of the PostgreSQL stores, set with <c>UsePostgreSql(connectionString, o => …)</c> and
/// validated when the host starts; every invalid setting is reported with what to fix. Retention
/// (how long history is kept) is the engine's setting, <c>WebhookOptions.Retention</c>: the engine
/// runs it on one schedule for every store, this one included.
/// </summary>
public sealed class PostgreSqlWebhookOptions
{
    /// <summary>
    /// The schema that holds the webhook tables; created and migrated at start-up. Letters, digits
    /// and underscores, starting with a letter or underscore, at most 48 characters.
    /// </summary>
    /// <value>The default value is <c>webhooks</c>.</value>
    public string Schema { get; set; } = "webhooks";

    /// <summary>
    /// Keep a connection that <c>LISTEN</c>s for new work, so an idle dispatcher wakes the moment any
    /// instance enqueues (polling every <c>WebhookOptions.PollInterval</c> stays as the fallback).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ListenForNotifications { get; set; } = true;
}
