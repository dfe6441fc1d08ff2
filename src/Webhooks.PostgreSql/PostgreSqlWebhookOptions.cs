namespace Webhooks.PostgreSql;

/// <summary>
/// Settings of the PostgreSQL stores, set with <c>UsePostgreSql(connectionString, o => …)</c> and
/// validated when the host starts; every invalid setting is reported with what to fix.
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
    /// How long finished messages (no delivery still pending) and attempts are kept; a background job
    /// removes older ones in batches. <see langword="null"/> keeps everything.
    /// </summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan? RetentionPeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the retention job runs (each instance runs it; they share the work without waiting on each other).</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most rows the retention job deletes in one statement, so it never holds many locks for long.</summary>
    /// <value>The default value is 1,000.</value>
    public int RetentionBatchSize { get; set; } = 1000;

    /// <summary>
    /// Keep a connection that <c>LISTEN</c>s for new work, so an idle dispatcher wakes the moment any
    /// instance enqueues (polling every <c>WebhookOptions.PollInterval</c> stays as the fallback).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ListenForNotifications { get; set; } = true;
}
