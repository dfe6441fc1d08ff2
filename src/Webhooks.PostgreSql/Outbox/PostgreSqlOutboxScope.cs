using Npgsql;
using Webhooks.Core;

namespace Webhooks.PostgreSql.Outbox;

/// <summary>
/// Carries the app's transaction from <see cref="PostgreSqlWebhookPublisherExtensions"/> to the
/// PostgreSQL delivery store for the duration of one publish. The publisher in between (catalog
/// check, subscription lookup, envelope serialized once) is the ordinary one, so a transactional
/// publish behaves exactly like any other, except where its rows are written.
/// </summary>
internal static class PostgreSqlOutboxScope
{
    private static readonly AsyncLocal<Context?> Current = new();

    /// <summary>Starts a scope for one publish; dispose it when the publish returns.</summary>
    public static Context Begin(NpgsqlTransaction transaction)
    {
        var context = new Context(transaction);
        Current.Value = context;
        return context;
    }

    /// <summary>The transaction to enqueue through, if a transactional publish is running; marks it used.</summary>
    public static NpgsqlTransaction? Take()
    {
        var context = Current.Value;
        if (context is null || context.Used)
        {
            return null;
        }

        context.Used = true;
        return context.Transaction;
    }

    public static WebhookException Completed(Exception? inner = null) =>
        new("The transaction passed to PublishAsync has already been committed or rolled back; publish before you commit.", inner);

    public sealed class Context(NpgsqlTransaction transaction) : IDisposable
    {
        public NpgsqlTransaction Transaction { get; } = transaction;

        public bool Used { get; set; }

        public void Dispose()
        {
            if (Current.Value == this)
            {
                Current.Value = null;
            }
        }
    }
}
