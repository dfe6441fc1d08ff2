using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Core.Delivery;
using Webhooks.PostgreSql.Schema;

namespace Webhooks.PostgreSql.Delivery;

/// <summary>
/// Holds one connection that <c>LISTEN</c>s on the schema's channel and wakes this process's
/// dispatcher on every notification, so work enqueued by any instance is picked up at once.
/// When the connection drops (database restart), it logs, backs off and listens again, and wakes
/// the dispatcher once after reconnecting for anything enqueued meanwhile.
/// </summary>
internal sealed partial class PostgreSqlNotificationListener(
    PostgreSqlWebhookDatabase db,
    WebhookDispatchSignal signal,
    IOptions<PostgreSqlWebhookOptions> options,
    TimeProvider time,
    ILogger<PostgreSqlNotificationListener> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ListenForNotifications)
        {
            return;
        }

        var backoff = TimeSpan.Zero;
        bool failed = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.DataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, _) => signal.Notify();
                await using (var listen = new NpgsqlCommand("LISTEN " + PostgreSqlWebhookDatabase.QuoteIdentifier(db.Channel), connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                if (failed)
                {
                    LogListening(logger, db.Channel);
                    failed = false;
                }

                backoff = TimeSpan.Zero;
                signal.Notify();
                try
                {
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        if (!await connection.WaitAsync(KeepAlive, stoppingToken).ConfigureAwait(false))
                        {
                            // Nothing for a while: prove the connection is alive, so a silently dropped one is replaced.
                            await using var ping = new NpgsqlCommand("SELECT 1", connection);
                            await ping.ExecuteScalarAsync(stoppingToken).ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    await UnlistenAsync(connection).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NotSupportedException ex)
            {
                // A multiplexing data source cannot hold a connection for LISTEN; retrying would not help.
                LogListenUnsupported(logger, ex, db.Channel);
                return;
            }
            catch (Exception ex)
            {
                failed = true;
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                LogListenFailed(logger, ex, db.Channel, backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Stops listening before the connection goes back to the pool: the library's own data source does
    /// not reset returned connections, and a pooled connection must not go on receiving notifications.
    /// If that fails, the pool is cleared, so the connection is closed rather than handed out still listening.
    /// </summary>
    private static async Task UnlistenAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
            await unlisten.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // It may still be pooled: have the pool drop its connections (this one when it is returned), rather than hand it out listening.
            NpgsqlConnection.ClearPool(connection);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Listening for webhook notifications on '{Channel}' failed; dispatchers poll meanwhile. Retrying in {BackoffSeconds} s.")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, string channel, double backoffSeconds);

    [LoggerMessage(3, LogLevel.Error, "The data source cannot LISTEN on '{Channel}' (multiplexing?); dispatchers fall back to polling. Use a data source without Multiplexing, or set ListenForNotifications to false.")]
    private static partial void LogListenUnsupported(ILogger logger, Exception exception, string channel);

    [LoggerMessage(2, LogLevel.Information, "Listening for webhook notifications on '{Channel}' again.")]
    private static partial void LogListening(ILogger logger, string channel);
}
