using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Webhooks.Core.DependencyInjection;
using Webhooks.PostgreSql.Schema;

namespace Webhooks.PostgreSql.Tests.Infrastructure;

internal static class Pg
{
    /// <summary>The library's services on PostgreSQL, without a host (nothing runs in the background).</summary>
    public static ServiceProvider Services(string connectionString, Action<PostgreSqlWebhookOptions>? configure = null, Action<IWebhooksBuilder>? webhooks = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddWebhooks().UsePostgreSql(connectionString, configure);
        webhooks?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    /// <summary>Brings the schema up to date and empties every table.</summary>
    public static async Task ResetAsync(IServiceProvider services)
    {
        var db = services.GetRequiredService<PostgreSqlWebhookDatabase>();
        await db.EnsureSchemaAsync(default);
        await using var command = db.DataSource.CreateCommand(db.Sql(
            "TRUNCATE {s}.subscriptions, {s}.messages, {s}.deliveries, {s}.attempts, {s}.idempotency_keys"));
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Keeps every log entry of a host, to assert that a failure was logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
