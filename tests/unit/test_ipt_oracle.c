// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of the iptables front end against the iptables
 * installed on this machine: each rule below is given to `iptables -A`
 * (and ip6tables) inside a private network namespace (unshare -n, gone
 * when the shell exits) and to our parser. Both must refuse it, or both
 * must accept it and print the same `-A` lines.
 *
 * Rules left out on purpose, because the two disagree for a known reason:
 *  - features outside our scope (-m string, -j NFQUEUE, sctp, --tcp-option):
 *    iptables accepts, we refuse with "not supported";
 *  - "-m limit --limit-burst 0" and a limit whose avg * burst overflows
 *    ("--limit 1/day --limit-burst 10000"): iptables-nft turns them into a
 *    native nft limit and accepts; the kernel's limit_mt_check() refuses
 *    them with ERANGE (legacy), and so do we;
 *  - empty ranges ("-m length --length 5:4", "-m conntrack --ctexpire
 *    10:5", "--ctrepldstport 4:3") and "-m conntrack --ctproto 0": 1.8.9
 *    accepts them, later iptables (and the .t vectors) refuse them, as we
 *    do;
 *  - "-m conntrack --ctorigsrc 1.2.3.4/33": 1.8.9 takes the bad prefix
 *    length as /32, we refuse it;
 *  - an NFLOG prefix of more than 63 characters: iptables-nft keeps it all
 *    (nft log), xt_NFLOG keeps 63 (legacy, and the .t vectors), as we do;
 *  - -m set: iptables asks the kernel whether the set exists; bpfilter has
 *    no ipset sets, so every --match-set is refused (as iptables refuses a
 *    set that does not exist);
 *  - hook-dependent checks (owner, mac, addrtype --limit-iface-*, physdev
 *    --physdev-out, TCPMSS --clamp-mss-to-pmtu) are made for rules in
 *    built-in chains only: for a user chain they depend on who jumps
 *    there;
 *  - a module given twice ("-p tcp -m tcp --dport 80 -m tcp --sport 5",
 *    "--syn -m tcp --syn"): iptables-nft merges (or drops) the repeated
 *    instance; we keep both, as the legacy kernel evaluates both;
 *  - "! -p tcp -m tcp --dport 5": iptables-nft accepts it, the kernel's
 *    xt_check_match() (legacy) refuses it, and so do we (the .t vectors
 *    expect a refusal of -m tcp without -p tcp);
 *  - "-ptcp": refused by iptables 1.8.9 (a bug fixed later; the upstream
 *    .t vectors expect it to work, and it does here);
 *  - ICMP code ranges "3/0:5": iptables-save drops the upper code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"

static const char *const rules4[] = {
	"-s 1.2.3.4/255.255.255.0",
	"-s 1.2.3.4/0.255.0.0",
	"-s 010.1.1.1",
	"-s 0x10.1.1.1",
	"-s 1.2.3",
	"-s 1.2.3.4/",
	"-s /8",
	"-s 1.2.3.4,",
	"-s ,1.2.3.4",
	"-s 1.2.3.4,,5.6.7.8",
	"-s 1.2.3.4/24,5.6.7.8/16 -j ACCEPT",
	"-d 1.1.1.1,1.1.1.1",
	"-i eth0 -o eth1",
	"-i eth0+",
	"-i +eth",
	"! -i eth0 ! -o eth+",
	"-i \"\"",
	"-p tcp ! --dport 22:80",
	"-p tcp --dport 22: --sport :1023",
	"-p tcp --sport 0x50",
	"-p tcp --sport 1:",
	"-p tcp --dport ssh:http",
	"-p udp --dport domain",
	"-p tcp --tcp-flags ALL SYN,ACK",
	"-p tcp --tcp-flags FOO SYN",
	"-p tcp --syn --tcp-flags SYN SYN",
	"-p tcp --syn --dport 80",
	"-p tcp ! --syn",
	"-p tcp --dport 80 --dport 81",
	"-p tcp -m udp --dport 5",
	"-p udp -m tcp --dport 5",
	"-p tcp -m multiport ! --dports 1,2,3",
	"-p tcp -m multiport --ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
	"-p tcp -m multiport --ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15:16",
	"-p tcp -m multiport --dports 1 --dports 2",
	"-p tcp -m multiport --sports 1 -m multiport --dports 2",
	"-p tcp -m multiport --dports ssh,http",
	"-p icmp --icmp-type 3/3",
	"-p icmp --icmp-type port-unreachable",
	"-p icmp --icmp-type 256",
	"-p icmp --icmp-type 3/256",
	"-p icmp --icmp-type 3/x",
	"-p icmp --icmp-type ping",
	"-p icmp --icmp-type PING",
	"-p icmp --icmp-type any",
	"-p icmp ! --icmp-type any",
	"-p icmp --icmp-type 8 -m icmp --icmp-type 0",
	"-p 1 --icmp-type 8",
	"-p icmp -m icmp6 --icmpv6-type 1",
	"-m state --state NEW,NEW",
	"-m state --state new,Invalid",
	"-m state --state ,NEW",
	"-m state --state NEW,",
	"-m conntrack ! --ctstate NEW,RELATED",
	"-m conntrack --ctstate NEW --ctstate INVALID",
	"-m comment --comment \"a'b\"",
	"-m comment ! --comment x",
	"-m comment --comment a -m comment --comment b",
	"-m iprange --src-range 1.1.1.1-2.2.2.2 --dst-range 3.3.3.3-4.4.4.4",
	"-m iprange ! --src-range 1.1.1.1-2.2.2.2 --dst-range 3.3.3.3-4.4.4.4",
	"-m iprange --dst-range 3.3.3.3-4.4.4.4 --src-range 1.1.1.1-2.2.2.2",
	"-m iprange --src-range 1.1.1.1-",
	"-m iprange --src-range 1.1.1-2.2.2.2",
	"-f",
	"! -f",
	"-f -p tcp -m tcp --dport 1",
	"-j X",
	"-g X",
	"-j x",
	"-j ACCEPT -j DROP",
	"! -j ACCEPT",
	"-m tcp -p tcp",
	"-p tcp --dport=22",
	"-p tcp --dport",
	"--dport 22 -p tcp",
	"-p tcp --so 5",
	"-p tcp --sp 5",
	"-p tcp --dst 1.2.3.4",
	"-p tcp --d 5",
	"--s 1.2.3.4",
	"-p udplite --dport 5",
	"-p icmpv6",
	"-p ipv6-icmp",
	"-p 255",
	"-p 256",
	"-p foo",
	"-p ALL",
	"-p tcp -m comment --comment x --dport 5",
	"-p tcp -m multiport --dports 5 --sport 6",
	"-c 1 2 -j ACCEPT",
	"-s 1.2.3.4 -s 5.6.7.8",
	"-s 1.2.3.4 ! -d 5.6.7.8/8",
	"-p tcp -fv",
	"-vp tcp",
	"-4 -p tcp",
	"-p tcp --dport ! 22",
	"-m state --state ! NEW",
	"-p icmp --icmp-type ! 8",
	"-s ! 1.2.3.4",
	"-p ! tcp",
	"-i ! eth0",
	"-p tcp --dport 22 !",
	"-p tcp ! -m tcp --dport 22",
	"-p tcp --match tcp --dport 22",
	"-p tcp --match=tcp --dport=22",
	"-p tcp -m tcp --destination-port 22 --source-port 1:2",
	"-m iprange --src-range 1.1.1.1-1.1.1.2 -m iprange --src-range 1.1.1.3-1.1.1.4",
	"-m comment --comment \"\"",
	"-m comment --comment \" \"",
	"-m comment --comment x -j ACCEPT -m comment --comment y",
	"-j ACCEPT -p tcp --dport 1",
	"-p tcp -j ACCEPT --dport 1",
	"-o lo -i lo",
	"-i lo0123456789ab",
	"-i lo0123456789abc",
	"-s 1.2.3.4/255.255.255.255",
	"-s 1.2.3.4/32 -d 0.0.0.0/0",
	"-d 0/0",
	"! -d 1.0.0.0/1",
	"-p tcp --sport 65535:0",
	"-p tcp --tcp-flags \"\" \"\"",
	"-p tcp --tcp-flags SYN",
	"-p tcp -m multiport --sports 1,2 ! --dports 3",
	"-p udp -m multiport --dports 0:65535",
	"-p udp -m multiport --dports 1:65535,80",
	"-m conntrack --ctstate INVALID,UNTRACKED,NEW,RELATED,ESTABLISHED",
	"-m state --state INVALID,UNTRACKED,NEW,RELATED,ESTABLISHED",
	"-m conntrack --ctstate N,E",
	"-c 0 0",
	"-c 18446744073709551615 1 -j DROP",
	"-p 6 --dport 5",
	"-p 17 --sport 5",
	"-p 1 --icmp-type 0/0",
	/* real-world ruleset modules and targets */
	"-m limit --limit 7/sec",
	"-m limit --limit 3/hour",
	"-m limit",
	"-m limit --limit 13/min --limit-burst 9",
	"-m limit --limit 1/se",
	"-m limit --limit 1/x",
	"-m limit --limit 1abc/sec",
	"-m limit --limit 0/s",
	"-m limit --limit 100000/s",
	"-m limit ! --limit 1/s",
	"-m limit --limit 1/sec --limit-burst 10001",
	"-m limit --limit 2/min -m limit --limit 3/min",
	"-m hashlimit --hashlimit-upto 5/sec --hashlimit-name a",
	"-m hashlimit --hashlimit-above 5/min --hashlimit-name a "
	"--hashlimit-mode srcip,dstport --hashlimit-srcmask 24",
	"-m hashlimit ! --hashlimit-above 5/min --hashlimit-name a",
	"-m hashlimit --hashlimit-upto 1kb/s --hashlimit-name b",
	"-m hashlimit --hashlimit-upto 2mb/s --hashlimit-burst 3mb "
	"--hashlimit-name b",
	"-m hashlimit --hashlimit-upto 100/hour --hashlimit-name c "
	"--hashlimit-htable-size 64 --hashlimit-htable-max 128 "
	"--hashlimit-htable-gcinterval 500 --hashlimit-htable-expire 7000",
	"-m hashlimit --hashlimit-upto 5/min --hashlimit-name d "
	"--hashlimit-rate-match",
	"-m hashlimit --hashlimit-upto 5/sec --hashlimit-name e "
	"--hashlimit-mode foo",
	"-m hashlimit --hashlimit 5 --hashlimit-name f",
	"-m hashlimit --hashlimit-upto 5/sec --hashlimit-above 5/sec "
	"--hashlimit-name g",
	"-m recent --set",
	"-m recent --name foo --rcheck --seconds 5 --hitcount 3 --rdest "
	"--reap --mask 255.255.0.0",
	"-m recent ! --update --rttl --seconds 1",
	"-m recent --remove --rsource",
	"-m recent --rcheck --reap",
	"-m recent --set --seconds 5",
	"-m recent --set --update",
	"-m recent --rcheck --rsource --rdest",
	"-m recent --rcheck --name a/b",
	"-m recent --set --name x --mask 1.2.3.4",
	"-m connlimit --connlimit-above 5",
	"-m connlimit --connlimit-upto 5 --connlimit-mask 24 "
	"--connlimit-daddr",
	"-m connlimit ! --connlimit-upto 5",
	"-m addrtype ! --src-type LOCAL,UNICAST ! --dst-type MULTICAST",
	"-m addrtype --src-type local,blackhole,unreachable,prohibit,throw,"
	"nat,xresolve,anycast,broadcast",
	"-m addrtype --src-type LOC",
	"-m addrtype --src-type UNSPEC --src-type LOCAL",
	"-m addrtype --dst-type LOCAL --limit-iface-in",
	"-m addrtype --dst-type LOCAL --limit-iface-out",
	"-m addrtype --dst-type ,LOCAL",
	"-m mac --mac-source aa:bb:cc:dd:ee:ff",
	"-m mac ! --mac-source 1:2:3:4:5:6",
	"-m mac --mac-source aa:bb:cc:dd:ee:fff",
	"-m mark ! --mark 5/0xf",
	"-m mark --mark 0xffffffff/0xffffffff",
	"-m mark --mark 5/",
	"-m connmark --mark 5/7",
	"-m connmark ! --mark 0",
	"-m owner --uid-owner 0",
	"-m pkttype --pkt-type host",
	"-m pkttype ! --pkt-type BROADCAST",
	"-m pkttype --pkt-type otherhost",
	"-m pkttype --pkt-type loopback",
	"-m length ! --length 5",
	"-m length --length 5:",
	"-m length --length 0x10:0x20",
	"-m ttl --ttl-eq 5",
	"-m ttl ! --ttl-eq 5",
	"-m ttl --ttl-lt 5",
	"-m ttl --ttl-gt 255",
	"-m ttl ! --ttl-gt 5",
	"-m ttl --ttl-gt 256",
	"-m ttl --ttl-eq 1 --ttl-lt 3",
	"-m ttl",
	"-m set --match-set foo src",
	"-m statistic --mode random --probability 0.3",
	"-m statistic --mode random ! --probability 0.25",
	"-m statistic --mode nth --every 3",
	"-m statistic --mode nth --every 3 --packet 0",
	"-m statistic --mode nth ! --every 3 --packet 2",
	"-m statistic --mode random --probability 0",
	"-m statistic --mode random --probability 1",
	"-m statistic --mode random --probability 1.5",
	"-m statistic --mode nth --every 1 --packet 0",
	"-m statistic --mode nth --every 0 --packet 0",
	"-m statistic --mode foo",
	"-m statistic --mode random --every 2 --packet 1",
	"-m dscp --dscp 10",
	"-m dscp ! --dscp 0x3f",
	"-m dscp --dscp 64",
	"-m dscp --dscp-class af41",
	"-m dscp --dscp-class ef1",
	"-m dscp --dscp-class foo",
	"-m dscp --dscp 1 --dscp-class cs1",
	"-m dscp",
	"-m tos --tos 0x10",
	"-m tos ! --tos 0x08/0x0c",
	"-m tos --tos minimize-cost",
	"-m tos --tos Normal-Service",
	"-m tos --tos 0x100",
	"-m tos --tos 5/0x1ff",
	"-m tos --tos foo",
	"-m tos",
	"-p tcp -m ecn --ecn-tcp-ece",
	"-p tcp -m ecn ! --ecn-tcp-cwr --ecn-tcp-ece --ecn-ip-ect 2",
	"-m ecn ! --ecn-ip-ect 3",
	"-m ecn --ecn-ip-ect 4",
	"-m ecn --ecn-tcp-cwr",
	"! -p tcp -m ecn --ecn-tcp-cwr",
	"-p udp -m ecn ! --ecn-tcp-ece",
	"-m ecn",
	"-p tcp -m ecn --ecn-tcp-ece --ecn-tcp-ece",
	"-p esp -m esp --espspi 5",
	"-p esp -m esp ! --espspi 5:10",
	"-p esp -m esp --espspi 7:",
	"-p esp -m esp --espspi :7",
	"-p esp -m esp",
	"-p esp -m esp --espspi 4294967296",
	"-m esp --espspi 5",
	"-p udp -m esp --espspi 5",
	"-p esp -m esp --espspi 1 --espspi 2",
	"-p tcp -m tcpmss --mss 5",
	"-p tcp -m tcpmss ! --mss 500:1460",
	"-m tcpmss --mss 5",
	"-p udp -m tcpmss --mss 5",
	"-m physdev --physdev-in eth+",
	"-m physdev ! --physdev-is-bridged",
	"-m physdev --physdev-is-in ! --physdev-in eth0 --physdev-is-bridged",
	"-m physdev --physdev-is-bridged --physdev-out eth1",
	"-m physdev",
	"-j REJECT",
	"-j REJECT --reject-with icmp-admin",
	"-j REJECT --reject-with net-unreach",
	"-j REJECT --reject-with icmp-net-unreach",
	"-j REJECT --reject-with host-prohib",
	"-j REJECT --reject-with icmp-h",
	"-j REJECT --reject-with echo-reply",
	"-j REJECT --reject-with tcp-reset",
	"-p tcp -j REJECT --reject-with tcp-rst",
	"! -p tcp -j REJECT --reject-with tcp-reset",
	"-j REJECT --reject-with icmp6-no-route",
	"-j LOG",
	"-j LOG --log-level debug --log-prefix \"x y\" --log-uid "
	"--log-ip-options --log-tcp-options --log-tcp-sequence "
	"--log-macdecode",
	"-j LOG --log-level 4",
	"-j LOG --log-level warning",
	"-j LOG --log-level 8",
	"-j LOG --log-level WARNING",
	"-j LOG --log-prefix \"123456789012345678901234567890\"",
	"-j LOG --log-prefix \"a'b\"",
	"-j LOG --log-prefix \"\"",
	"-j LOG ! --log-uid",
	"-j LOG --log-uid --log-uid",
	"-j NFLOG",
	"-j NFLOG --nflog-threshold 3 --nflog-size 5 --nflog-group 3 "
	"--nflog-prefix \"a b\"",
	"-j NFLOG --nflog-size 5 --nflog-range 5",
	"-j NFLOG --nflog-group 65536",
	"-j MARK --set-mark 5",
	"-j MARK --set-mark 5/0xff",
	"-j MARK --set-xmark 0x5",
	"-j MARK --and-mark 5",
	"-j MARK --or-mark 5",
	"-j MARK --xor-mark 5",
	"-j MARK --set-xmark 5 --or-mark 3",
	"-j MARK",
	"-j CONNMARK --set-mark 5",
	"-j CONNMARK --set-mark 5/7",
	"-j CONNMARK --and-mark 5",
	"-j CONNMARK --or-mark 5",
	"-j CONNMARK --xor-mark 5",
	"-j CONNMARK --save-mark --mask 0xff",
	"-j CONNMARK --restore-mark --nfmask 0xff",
	"-j CONNMARK --restore-mark --ctmask 0xf0 --nfmask 0xf",
	"-j CONNMARK --save-mark --left-shift-mark 3",
	"-j CONNMARK --set-xmark 5/7 --right-shift-mark 3",
	"-j CONNMARK --save-mark --restore-mark",
	"-j CONNMARK --save-mark --mask 1 --nfmask 2",
	"-j CONNMARK",
	"-p tcp --syn -j TCPMSS --set-mss 1400",
	"-p tcp ! --syn -j TCPMSS --set-mss 5",
	"-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu",
	"-p tcp --syn -j TCPMSS --set-mss 65495",
	"-p tcp --syn -j TCPMSS --set-mss 65496",
	"-p tcp --syn -j TCPMSS --set-mss 1 --clamp-mss-to-pmtu",
	"-j TCPMSS --set-mss 5",
	"-p tcp --syn -j TCPMSS",
	"-m limit --limit 1/s -m mark --mark 1 -j LOG --log-prefix a",
	"-g REJECT",
	"--reject-with tcp-reset -j REJECT",
	"-m conntrack --ctstate SNAT,DNAT",
	"-m conntrack ! --ctstate NEW,DNAT",
	"-m conntrack --ctstate NEW --ctdir REPLY",
	"-m conntrack --ctproto tcp",
	"-m conntrack ! --ctproto 17",
	"-m conntrack --ctproto foo",
	"-m conntrack --ctorigsrc 1.2.3.4",
	/* not a prefix: libxtables 1.8.9 makes the mask a full one (legacy
	 * and nft list the address alone) */
	"-m conntrack --ctorigsrc 1.2.3.0/255.0.255.0",
	"-m conntrack ! --ctrepldst 10.0.0.0/255.255.0.255",
	"-m conntrack ! --ctorigdst 10.0.0.0/8",
	"-m conntrack --ctreplsrc 10.1.2.3/8",
	"-m conntrack --ctrepldst 1.2.3.4/255.0.0.0",
	"-m conntrack --ctorigsrcport 22",
	"-m conntrack ! --ctorigdstport ssh:http",
	"-m conntrack --ctreplsrcport :",
	"-m conntrack --ctstatus ASSURED,SEEN_REPLY",
	"-m conntrack ! --ctstatus NONE",
	"-m conntrack --ctstatus CONF,EXP",
	"-m conntrack --ctstatus FOO",
	"-m conntrack --ctexpire 5:10",
	"-m conntrack ! --ctexpire 7",
	"-m conntrack --ctdir original",
	"-m conntrack ! --ctdir REPLY",
	"-m conntrack --ctdir FOO",
	"-m conntrack --ctdir REPLY --ctexpire 1:2 --ctstatus EXPECTED "
	"--ctrepldstport 5 --ctreplsrcport 6 --ctorigdstport 7 "
	"--ctorigsrcport 8 --ctrepldst 1.1.1.1 --ctreplsrc 2.2.2.2 "
	"--ctorigdst 3.3.3.3 --ctorigsrc 4.4.4.4 --ctproto 6 --ctstate "
	"ESTABLISHED",
	"-m conntrack --ctstate NEW -m conntrack --ctstatus ASSURED",
	"-m time --timestart 10:00 --timestop 12:00 --weekdays Mon,Tue",
	"-m time --timestart 22:00 --timestop 06:30:15 --contiguous",
	"-m time --timestart 10:00 --timestop 12:00 --contiguous",
	"-m time ! --weekdays 1,7",
	"-m time --weekdays Monday,tu",
	"-m time --weekdays 0",
	"-m time --weekdays Xy",
	"-m time --monthdays 1,15,31",
	"-m time ! --monthdays 2",
	"-m time --monthdays 32",
	"-m time --datestart 2024-02-30T10:20:30 --datestop 2030",
	"-m time --datestart 1969",
	"-m time --datestart 2039",
	"-m time --datestart 2020-13",
	"-m time --timestart 24:00",
	"-m time --timestart 10",
	"-m time --kerneltz --utc",
	"-m time --kerneltz",
	"-m time --localtz --timestart 1:2:3",
	"-m time",
	"-m policy --dir in --pol ipsec",
	"-m policy --dir out --pol none",
	"-m policy --pol ipsec",
	"-m policy --dir in --pol none --strict",
	"-m policy --dir in --pol none --proto esp",
	"-m policy --dir in --pol ipsec --next",
	"-m policy --dir in --pol ipsec --strict --next --proto esp",
	"-m policy --dir in --pol ipsec --proto tcp",
	"-m policy --dir in --pol ipsec --proto 51 ! --spi 0x10 --reqid 3",
	"-m policy --dir in --pol ipsec --tunnel-src 192.0.2.1",
	"-m policy --dir out --pol ipsec --mode tunnel --tunnel-src "
	"192.0.2.0/24 ! --tunnel-dst 198.51.100.0/16",
	"-m policy --dir in --pol ipsec --strict --spi 1 --next --reqid 4 "
	"--next ! --mode transport --tunnel-dst 1.2.3.4 --next --proto "
	"ipcomp",
	"-m policy --dir in --pol ipsec --strict --spi 1 --next --spi 2 "
	"--next --spi 3 --next --spi 4",
	"-m policy --dir in --pol ipsec --spi 1 --spi 2",
	"-m policy --dir out --pol ipsec --mode tunnel --tunnel-dst "
	"198.51.100.0/255.0.255.0 --tunnel-src 192.0.2.1/255.255.255.128",
	"-m policy --dir in --pol ipsec --mode foo",
	"-m policy --dir in --pol foo",
	"-m policy --dir sideways --pol none",
	"-m policy --dir in --pol ipsec --spi 4294967296",
	"-m policy --dir in --pol ipsec ! --reqid 0 ! --proto ah",
};

static const char *const rules6[] = {
	"-s 2001:db8::1/64 -d ::1",
	"-s 2001:db8::/ffff:ffff::",
	"-s 2001:db8::/ffff:0:ffff::",
	"-s 2001:DB8::1,2001:db8::2 -d ::/0",
	"! -s ::/0",
	"-s ::ffff:1.2.3.4",
	"-s 1.2.3.4",
	"-p all",
	"-p 0",
	"-p ipv6-icmp --icmpv6-type echo-request",
	"-p icmpv6 --icmpv6-type 1/3",
	"-p icmpv6 --icmpv6-type neighbour-solicitation",
	"-p icmpv6 --icmpv6-type neighbor-adv",
	"-p icmpv6 --icmpv6-type 255",
	"-p icmpv6 ! --icmpv6-type 128",
	"-p 58 --icmpv6-type 128",
	"-p icmp --icmp-type 8",
	"-m icmp6 --icmpv6-type 1",
	"-p tcp --dport 22 -f",
	"-p udp -m multiport --ports 1,2",
	"-m iprange --src-range ::1-::ff",
	"-m iprange --dst-range 2001:db8::-2001:db8::ffff",
	"-m iprange --dst-range 1.1.1.1-2.2.2.2",
	"-p 43",
	"-p hopopt",
	"-m state --state UNTRACKED",
	"-m conntrack --ctorigsrc 2001:db8::1/64",
	"-m conntrack ! --ctrepldst ::1",
	"-m conntrack --ctorigdst 1.2.3.4",
	"-m conntrack --ctstate DNAT --ctproto ipv6-icmp",
	/* real-world ruleset modules and targets */
	"-m hl --hl-eq 5",
	"-m hl ! --hl-eq 5",
	"-m hl --hl-gt 5",
	"-m hl ! --hl-lt 5",
	"-m ttl --ttl-eq 5",
	"-m connlimit --connlimit-above 5",
	"-m connlimit --connlimit-upto 5 --connlimit-mask 64 "
	"--connlimit-daddr",
	"-m recent --set",
	"-m recent --rcheck --mask ffff::",
	"-m hashlimit --hashlimit-upto 5/sec --hashlimit-name a "
	"--hashlimit-dstmask 64",
	"-m addrtype --src-type BROADCAST",
	"-m addrtype --src-type LOCAL,MULTICAST",
	"-m mark --mark 1",
	"-m length --length 40:1500",
	"-j REJECT",
	"-j REJECT --reject-with icmp6-no-route",
	"-j REJECT --reject-with icmp6-a",
	"-j REJECT --reject-with icmp6-not-neighbour",
	"-j REJECT --reject-with icmp-port-unreachable",
	"-j REJECT --reject-with port-unreach",
	"-p tcp -j REJECT --reject-with tcp-reset",
	"-j REJECT --reject-with tcp-reset",
	"-j LOG --log-prefix x --log-level 1",
	"-j NFLOG --nflog-group 2",
	"-j MARK --set-mark 1",
	"-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu",
	"-p tcp --syn -j TCPMSS --set-mss 65496",
	"-p tcp -m ecn --ecn-tcp-ece",
	"-p tcp -m ecn ! --ecn-tcp-cwr --ecn-tcp-ece --ecn-ip-ect 2",
	"-m ecn ! --ecn-ip-ect 3",
	"-m policy --dir in --pol ipsec --mode tunnel --tunnel-src "
	"2001:db8::/32 ! --tunnel-dst 2001:db8::1",
	"-m policy --dir out --pol ipsec --strict --proto esp --next "
	"--reqid 9",
};

static char logtext[4096];

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	snprintf(logtext, sizeof(logtext), "%s", msg);
}

/* Our answer: "ERR" or the -A lines. */
static char *ours(enum bf_family fam, enum bf_hook hook, const char *rule)
{
	const char *chain = bf_hook_name(hook);
	_cleanup_free_ char *text = NULL;
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_chain *c;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	assert_true(asprintf(&text,
			     "*filter\n:X - [0:0]\n-A %s %s\n"
			     "COMMIT\n",
			     chain, rule) > 0);
	bf_log_set(capture, NULL);
	if (bf_ipt_parse_restore_str(rs, text, "oracle", fam)) {
		bf_log_set(NULL, NULL);
		bf_ruleset_free(&rs);
		return strdup("ERR\n");
	}
	bf_log_set(NULL, NULL);
	c = bf_ruleset_builtin(rs, fam, hook);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	for (size_t i = 0; i < c->n_rules; i++) {
		char *r = NULL;
		size_t rl = 0;
		FILE *o = open_memstream(&r, &rl);

		bf_ipt_print_rule(o, &c->rules[i]);
		fclose(o);
		fprintf(out, "-A %s%s%s\n", chain, *r ? " " : "", r);
		free(r);
	}
	fclose(out);
	bf_ruleset_free(&rs);
	return buf;
}

static void run(const char *bin, enum bf_family fam, enum bf_hook hook,
		const char *const *rules, size_t n)
{
	const char *chain = bf_hook_name(hook);
	char path[] = "/tmp/bf-ipt-oracle-XXXXXX";
	_cleanup_free_ char *theirs = NULL;
	char *save = NULL, *answer;
	int fd, mismatches = 0;
	FILE *f;

	if (geteuid() != 0 || bft_sh("command -v %s >/dev/null && unshare -n "
				     "true 2>/dev/null",
				     bin) != 0) {
		if (bft_require_kernel())
			fail_msg("%s in a private network namespace is "
				 "needed (BF_REQUIRE_KERNEL_TESTS=1)",
				 bin);
		print_message("SKIP: needs root, unshare and %s\n", bin);
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", rules[i]);
	fclose(f);
	/* One namespace for all rules: flush between them. The shell's
	 * eval does the quoting iptables-restore would. */
	assert_int_equal(
		bft_sh_out(&theirs,
			   "unshare -n sh -c '%s -N X; while IFS= read -r r; "
			   "do %s -F %s; if eval \"%s -A %s $r\" "
			   ">/dev/null 2>&1; then %s -S %s | tail -n +2; "
			   "else echo ERR; fi; echo =====; done' < %s",
			   bin, bin, chain, bin, chain, bin, chain, path),
		0);
	unlink(path);
	answer = theirs;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *mine = ours(fam, hook, rules[i]);

		assert_non_null(answer);
		save = strstr(answer, "=====\n");
		assert_non_null(save);
		*save = '\0';
		if (strcmp(mine, answer) != 0) {
			mismatches++;
			print_message("MISMATCH %s %s: %s\n  %s: %s  ours: "
				      "%s%s\n",
				      bin, chain, rules[i], bin, answer, mine,
				      strcmp(mine, "ERR\n") ? "" : logtext);
		}
		answer = save + 6;
	}
	print_message("%s (%s): %zu rules compared, %d mismatches\n", bin,
		      chain, n, mismatches);
	assert_int_equal(mismatches, 0);
}

static void test_oracle_ipv4(void **state)
{
	run("iptables", BF_FAMILY_INET4, BF_HOOK_FORWARD, rules4,
	    ARRAY_SIZE(rules4));
}

static void test_oracle_ipv6(void **state)
{
	run("ip6tables", BF_FAMILY_INET6, BF_HOOK_FORWARD, rules6,
	    ARRAY_SIZE(rules6));
}

/* Matches and targets that depend on the chain's hook. */
static const char *const rules_hooks[] = {
	"-m owner --uid-owner 0",
	"-m owner --uid-owner root --gid-owner 0-10 --suppl-groups",
	"-m owner ! --socket-exists",
	"-m owner --suppl-groups --gid-owner 0",
	"-m owner --uid-owner 10-5",
	"-m owner --uid-owner 4294967295",
	"-m mac --mac-source 00:11:22:33:44:55",
	"-m addrtype --src-type LOCAL --limit-iface-in",
	"-m addrtype --src-type LOCAL --limit-iface-out",
	"-m physdev --physdev-out lo",
	"-m physdev --physdev-out lo --physdev-is-bridged",
	"-m physdev --physdev-is-out ! --physdev-is-bridged",
	"-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu",
	"-p tcp --syn -j TCPMSS --set-mss 1000",
	"-j REJECT --reject-with icmp-host-prohibited",
	"-j LOG --log-prefix in",
};

static void test_oracle_hooks(void **state)
{
	run("iptables", BF_FAMILY_INET4, BF_HOOK_INPUT, rules_hooks,
	    ARRAY_SIZE(rules_hooks));
	run("iptables", BF_FAMILY_INET4, BF_HOOK_OUTPUT, rules_hooks,
	    ARRAY_SIZE(rules_hooks));
	run("ip6tables", BF_FAMILY_INET6, BF_HOOK_OUTPUT, rules_hooks,
	    ARRAY_SIZE(rules_hooks));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_ipv4),
		cmocka_unit_test(test_oracle_ipv6),
		cmocka_unit_test(test_oracle_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
