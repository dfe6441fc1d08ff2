using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;

namespace Webhooks.PostgreSql.Delivery;

/// <summary>
/// Removes finished messages and attempts older than <see cref="PostgreSqlWebhookOptions.RetentionPeriod"/>,
/// expired idempotency keys and stats older than 31 days, every <see cref="PostgreSqlWebhookOptions.RetentionInterval"/>,
/// in batches. A failed run is logged and retried at the next interval.
/// </summary>
internal sealed partial class PostgreSqlRetentionService(
    IWebhookDeliveryStore store,
    IOptions<PostgreSqlWebhookOptions> options,
    TimeProvider time,
    ILogger<PostgreSqlRetentionService> logger) : BackgroundService
{
    private static readonly TimeSpan StatsRetention = TimeSpan.FromDays(31);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.RetentionPeriod is not { } period || store is not PostgreSqlWebhookDeliveryStore pg)
        {
            return;
        }

        try
        {
            do
            {
                try
                {
                    var now = time.GetUtcNow();
                    var removed = await pg.PurgeAsync(now - period, now - StatsRetention, now, o.RetentionBatchSize, stoppingToken).ConfigureAwait(false);
                    if (removed.Messages + removed.Attempts > 0)
                    {
                        LogPurged(logger, removed.Messages, removed.Attempts, period);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogPurgeFailed(logger, ex);
                }

                await Task.Delay(o.RetentionInterval, time, stoppingToken).ConfigureAwait(false);
            }
            while (!stoppingToken.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Webhook retention removed {Messages} message(s) and {Attempts} attempt(s) older than {Period}.")]
    private static partial void LogPurged(ILogger logger, int messages, int attempts, TimeSpan period);

    [LoggerMessage(2, LogLevel.Warning, "Webhook retention failed; it runs again at the next interval.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
