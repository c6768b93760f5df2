package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"soapgate/config"
	"soapgate/gateway"
	"soapgate/notify"
	"soapgate/signer"
)

func notificationsCmd() *cobra.Command {
	var path, state string
	// Runnable only to refuse a mistyped subcommand (cobra shows help and succeeds otherwise).
	cmd := &cobra.Command{Use: "notifications", Short: "List or replay result notifications", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.PersistentFlags().StringVar(&path, "config", "config.yaml", "configuration file")
	list := &cobra.Command{
		Use:   "list",
		Short: "List notifications, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if state != "" && state != "pending" && state != "delivered" && state != "rejected" && state != "failed" {
				return fmt.Errorf("--state must be pending, delivered, rejected or failed")
			}
			return withGateway(path, func(g *gateway.Gateway) error {
				var ns []*gateway.Notification
				err := g.Store.View(cmd.Context(), func(tx gateway.Tx) (err error) {
					ns, err = tx.ListNotifications(gateway.NotificationState(state), 1000)
					return err
				})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tMERCHANT\tBILLNUMBER\tEVENT\tSTATE\tATTEMPTS\tNEXT (GMT)\tCREATED (GMT)")
				for _, n := range ns {
					next := ""
					if n.State == gateway.NotifyPending {
						next = gateway.FormatDate(n.NextAt)
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", n.ID, n.MerchantID, n.BillNumber, n.Event, n.State,
						n.Attempts, next, gateway.FormatDate(n.Created))
				}
				return w.Flush()
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only this state: pending, delivered, rejected or failed")
	replay := &cobra.Command{
		Use:   "replay ID",
		Short: "Queue a notification for delivery again now (a running server sends it within a second)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ID must be a number")
			}
			return withGateway(path, func(g *gateway.Gateway) error {
				if err := g.ReplayNotification(cmd.Context(), nil, id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "notification %d queued\n", id)
				return nil
			})
		},
	}
	cmd.AddCommand(list, replay)
	return cmd
}

// withGateway opens the database of a config for a command that runs beside (or without)
// the server.
func withGateway(path string, fn func(*gateway.Gateway) error) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	merchants, err := cfg.BuildMerchants()
	if err != nil {
		return err
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
