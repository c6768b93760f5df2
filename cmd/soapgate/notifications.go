package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"soapgate/config"
	"soapgate/gateway"
	"soapgate/notify"
	"soapgate/processor"
	"soapgate/signer"
	"soapgate/wire"
)

func notificationsCmd() *cobra.Command {
	var path string
	// Runnable only to refuse a mistyped subcommand (cobra shows help and succeeds otherwise).
	cmd := &cobra.Command{Use: "notifications", Short: "Show, list or replay result notifications", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.PersistentFlags().StringVar(&path, "config", "config.yaml", "configuration file")
	cmd.AddCommand(notificationsShowCmd(&path), notificationsListCmd(&path), notificationsReplayCmd(&path))
	return cmd
}

func notificationsListCmd(path *string) *cobra.Command {
	var f gateway.NotificationFilter
	var state, since string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List notifications, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if state != "" && state != "pending" && state != "delivered" && state != "rejected" && state != "failed" {
				return fmt.Errorf("--state must be pending, delivered, rejected or failed")
			}
			f.State = gateway.NotificationState(state)
			if since != "" {
				t, err := parseSince(since)
				if err != nil {
					return err
				}
				f.Since = t
			}
			if limit <= 0 {
				return fmt.Errorf("--limit must be positive")
			}
			return withGateway(*path, func(g *gateway.Gateway) error {
				var ns []*gateway.Notification
				err := g.Store.View(cmd.Context(), func(tx gateway.Tx) (err error) {
					ns, err = tx.ListNotifications(f, limit)
					return err
				})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tMERCHANT\tORDERNUMBER\tBILLNUMBER\tEVENT\tSTATE\tATTEMPTS\tNEXT (GMT)\tCREATED (GMT)")
				for _, n := range ns {
					next := ""
					if n.State == gateway.NotifyPending {
						next = gateway.FormatDate(n.NextAt)
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", n.ID, n.MerchantID, printable(n.Payload.Order.OrderNumber),
						n.BillNumber, n.Event, n.State, n.Attempts, next, gateway.FormatDate(n.Created))
				}
				return w.Flush()
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only this state: pending, delivered, rejected or failed")
	list.Flags().StringVar(&f.MerchantID, "merchant", "", "only this merchant's")
	list.Flags().StringVar(&f.OrderNumber, "ordernumber", "", "only this order number's (the merchant's own)")
	list.Flags().StringVar(&since, "since", "", "only those created at or after this time (GMT): 2026-12-01, 2026-12-01T10:00:00Z or 01.12.2026")
	list.Flags().IntVar(&limit, "limit", 1000, "at most this many")
	return list
}

// parseSince reads --since: RFC 3339, a date, or the protocol's DD.MM.YYYY [HH:MM:SS], GMT.
func parseSince(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02", "02.01.2006 15:04:05", "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: use 2026-12-01, 2026-12-01T10:00:00Z or 01.12.2026", s)
}

func notificationsShowCmd(path *string) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a notification: the fields it sends and every delivery attempt",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ID must be a number")
			}
			return withGateway(*path, func(g *gateway.Gateway) error {
				n, err := g.NotificationByID(cmd.Context(), id)
				if err != nil {
					return err
				}
				return printNotification(cmd.OutOrStdout(), *path, g, n)
			})
		},
	}
}

// printNotification writes what `notifications show` shows. Replies and errors come from
// merchants' endpoints: they are quoted, so that no control character reaches the terminal.
func printNotification(out io.Writer, path string, g *gateway.Gateway, n *gateway.NotificationDetail) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "id\t%d\n", n.ID)
	fmt.Fprintf(w, "merchant\t%s\n", n.MerchantID)
	fmt.Fprintf(w, "ordernumber\t%s\n", printable(n.Payload.Order.OrderNumber))
	fmt.Fprintf(w, "billnumber\t%s\n", n.BillNumber)
	fmt.Fprintf(w, "event\t%s\n", n.Event)
	fmt.Fprintf(w, "state\t%s\n", n.State)
	fmt.Fprintf(w, "attempts\t%d\n", n.Attempts)
	if n.RoundBase > 0 {
		fmt.Fprintf(w, "replayed\tafter attempt %d\n", n.RoundBase)
	}
	fmt.Fprintf(w, "created\t%s GMT\n", gateway.FormatDate(n.Created))
	if n.State == gateway.NotifyPending {
		fmt.Fprintf(w, "next attempt\t%s GMT\n", gateway.FormatDate(n.NextAt))
	}
	if !n.DoneAt.IsZero() {
		fmt.Fprintf(w, "done\t%s GMT\n", gateway.FormatDate(n.DoneAt))
	}
	if n.Claim.Owner != "" {
		fmt.Fprintf(w, "claimed by\t%s until %s GMT (wall clock)\n", n.Claim.Owner, n.Claim.Until.Format("02.01.2006 15:04:05"))
	}
	w.Flush()

	// The fields as the last attempt sent them (packetdate and signature are per attempt).
	packet := gateway.FormatDate(g.Clock.Now())
	if len(n.AttemptLog) > 0 {
		packet = gateway.FormatDate(n.AttemptLog[len(n.AttemptLog)-1].At)
	}
	fmt.Fprintf(out, "\nfields sent (packetdate %s):\n", packet)
	if m := g.Merchants.Get(n.MerchantID); m == nil {
		fmt.Fprintln(out, "  (the merchant is no longer configured)")
	} else if msg, err := notifyMessage(path); err != nil {
		return err
	} else {
		fields, err := msg.Fields(m, &n.Notification, packet)
		if err != nil {
			return err
		}
		w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		for _, f := range fields {
			fmt.Fprintf(w, "  %s\t%s\n", f[0], printable(f[1]))
		}
		w.Flush()
	}

	fmt.Fprintf(out, "\nattempts:\n")
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  #\tAT (GMT)\tHTTP\tOUTCOME\tERROR\tREPLY")
	for i, a := range n.AttemptLog {
		status := "-"
		if a.HTTPStatus != 0 {
			status = strconv.Itoa(a.HTTPStatus)
		}
		fmt.Fprintf(w, "  %d\t%s\t%s\t%s\t%s\t%s\n", i+1, gateway.FormatDate(a.At), status, a.Outcome, strconv.Quote(a.Error), strconv.Quote(a.Excerpt))
	}
	return w.Flush()
}

// printable quotes a value that holds control characters.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// notifyMessage is the notification builder of a config: the gateway's key signs, as serve's does.
func notifyMessage(path string) (notify.Message, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return notify.Message{}, err
	}
	key, err := signer.LoadPrivateKey(cfg.Resolve(cfg.Gateway.Key))
	if err != nil {
		return notify.Message{}, fmt.Errorf("gateway.key: %w", err)
	}
	return notify.Message{Wire: wire.Mapping{Signer: signer.New(key), Acquirer: processor.Test{}}}, nil
}

func notificationsReplayCmd(path *string) *cobra.Command {
	return &cobra.Command{
		Use:   "replay ID",
		Short: "Queue a notification for delivery again now, keeping its history (a running server sends it within a second)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ID must be a number")
			}
			return withGateway(*path, func(g *gateway.Gateway) error {
				if err := g.ReplayNotification(cmd.Context(), nil, id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "notification %d queued\n", id)
				return nil
			})
		},
	}
}

// withGateway opens the database of a config for a command that runs beside (or without)
// the server. A database file that does not exist is an error: opening it would create an
// empty one, and the command would answer about nothing (a mistyped path or config).
func withGateway(path string, fn func(*gateway.Gateway) error) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	merchants, err := cfg.BuildMerchants()
	if err != nil {
		return err
	}
	if cfg.Database.Driver != "postgres" {
		dbPath := cfg.Resolve(cfg.Database.Path)
		if _, err := os.Stat(dbPath); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("database %s does not exist (check database.path or SOAPGATE_DATABASE_PATH)", dbPath)
			}
			return fmt.Errorf("database %s: %w", dbPath, err)
		}
	}
	db, _, err := openStore(cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	g := &gateway.Gateway{Store: db, Clock: gateway.RealClock{}, Merchants: merchants}
	if cfg.Clock == "test" {
		if g.Clock, err = gateway.NewTestClock(context.Background(), db); err != nil {
			return err
		}
	}
	return fn(g)
}

func sinkCmd() *cobra.Command {
	var listen, secret, certPath string
	var allowUnsigned, allowNoXMLDSig bool
	cmd := &cobra.Command{
		Use:   "merchant-sink",
		Short: "Receive notifications as a merchant would: verify, print and acknowledge them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sink := &notify.Sink{Secret: secret, Out: cmd.OutOrStdout(), AllowUnsigned: allowUnsigned, AllowNoXMLDSig: allowNoXMLDSig}
			if certPath != "" {
				cert, _, err := signer.LoadCertificate(certPath)
				if err != nil {
					return err
				}
				sink.Cert = cert
			}
			srv := &http.Server{Addr: listen, Handler: sink, ReadHeaderTimeout: 10 * time.Second,
				ErrorLog: slog.NewLogLogger(slog.NewTextHandler(os.Stderr, nil).WithAttrs(nil), slog.LevelWarn)}
			fmt.Fprintf(cmd.ErrOrStderr(), "merchant-sink listening on http://%s (checkvalue: %v, signature: %v)\n",
				listen, secret != "", certPath != "")
			return srv.ListenAndServe()
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "address to listen on")
	cmd.Flags().StringVar(&secret, "secret", "", "the merchant's secret word, to check checkvalues")
	cmd.Flags().StringVar(&certPath, "cert", "", "the gateway certificate (PEM), to check signatures and XML-DSig; then both are required")
	cmd.Flags().BoolVar(&allowUnsigned, "allow-unsigned", false, "with --cert: accept POST notifications without a signature")
	cmd.Flags().BoolVar(&allowNoXMLDSig, "allow-no-xmldsig", false, "with --cert: accept SOAP notifications without XML-DSig")
	return cmd
}
