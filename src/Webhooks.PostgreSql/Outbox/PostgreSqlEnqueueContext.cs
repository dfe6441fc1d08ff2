using Npgsql;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;

namespace Webhooks.PostgreSql;

/// <summary>
/// The app's open PostgreSQL transaction, passed to the webhook stores so a publish joins it (the
/// transactional outbox): the subscriber lookup and the enqueue run on the transaction's connection,
/// so a publish holds that one connection, and its message commits or rolls back with the app's data.
/// Usually made for you by <see cref="PostgreSqlWebhookPublisherExtensions"/>.
/// </summary>
public sealed class PostgreSqlEnqueueContext : WebhookEnqueueContext
{
    /// <summary>Wraps the app's transaction.</summary>
    /// <param name="transaction">An open transaction on the database that holds the webhook tables.</param>
    public PostgreSqlEnqueueContext(NpgsqlTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Transaction = transaction;
    }

    /// <summary>The app's transaction.</summary>
    public NpgsqlTransaction Transaction { get; }

    /// <summary>Whether a PostgreSQL store has written or read through this context.</summary>
    internal bool Used { get; private set; }

    /// <summary>
    /// The transaction to run on, or <see langword="null"/> without a context. Refuses a context of
    /// another kind (it would be ignored, and the message written outside the app's transaction) and
    /// a finished transaction.
    /// </summary>
    internal static NpgsqlTransaction? TransactionOf(WebhookEnqueueContext? context)
    {
        switch (context)
        {
            case null:
                return null;
            case PostgreSqlEnqueueContext pg:
                if (pg.Transaction.Connection is null)
                {
                    throw Finished();
                }

                pg.Used = true;
                return pg.Transaction;
            default:
                throw new WebhookException(
                    $"The PostgreSQL webhook stores write only through a {nameof(PostgreSqlEnqueueContext)} (an NpgsqlTransaction), not a {context.GetType().Name}; " +
                    "publish with the transaction of the store you registered.");
        }
    }

    /// <summary>A command on the transaction's connection; a committed or rolled-back transaction is refused with what to fix.</summary>
    internal static NpgsqlCommand CommandOn(NpgsqlTransaction transaction, string? sql)
    {
        try
        {
            return new NpgsqlCommand(sql, transaction.Connection ?? throw Finished(), transaction);
        }
        catch (InvalidOperationException ex)
        {
            // Npgsql refuses a completed transaction before anything is sent.
            throw Finished(ex);
        }
    }

    internal static WebhookException Finished(Exception? inner = null) =>
        new("The transaction passed to PublishAsync has already been committed or rolled back; publish before you commit.", inner);
}
