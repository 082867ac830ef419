"""The 30 NBA franchises (nba_api static teams) plus what the generator needs: conference and box-score labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    id: int
    full_name: str
    abbreviation: str
    nickname: str
    city: str
    state: str
    year_founded: int
    conference: str  # "East" | "West"
    box_city: str  # nba.com boxscore teamCity ("LA" for the Clippers)
    slug: str  # nba.com boxscore teamSlug

    def reference_row(self) -> list[object]:
        """The nba_api static teams row: id, full_name, abbreviation, nickname, city, state, year_founded."""
        return [self.id, self.full_name, self.abbreviation, self.nickname, self.city, self.state, self.year_founded]


REFERENCE_COLUMNS = ["id", "full_name", "abbreviation", "nickname", "city", "state", "year_founded"]

# Values copied from nba_api 1.12.0 static teams (shared/data/real/reference/nba_api_static_teams.csv.gz);
# box_city / slug as they appear in the real boxscoretraditionalv3 files.
TEAMS: tuple[Team, ...] = (
    Team(1610612737, "Atlanta Hawks", "ATL", "Hawks", "Atlanta", "Georgia", 1949, "East", "Atlanta", "hawks"),
    Team(1610612738, "Boston Celtics", "BOS", "Celtics", "Boston", "Massachusetts", 1946, "East", "Boston", "celtics"),
    Team(
        1610612739,
        "Cleveland Cavaliers",
        "CLE",
        "Cavaliers",
        "Cleveland",
        "Ohio",
        1970,
        "East",
        "Cleveland",
        "cavaliers",
    ),
    Team(
        1610612740,
        "New Orleans Pelicans",
        "NOP",
        "Pelicans",
        "New Orleans",
        "Louisiana",
        2002,
        "West",
        "New Orleans",
        "pelicans",
    ),
    Team(1610612741, "Chicago Bulls", "CHI", "Bulls", "Chicago", "Illinois", 1966, "East", "Chicago", "bulls"),
    Team(1610612742, "Dallas Mavericks", "DAL", "Mavericks", "Dallas", "Texas", 1980, "West", "Dallas", "mavericks"),
    Team(1610612743, "Denver Nuggets", "DEN", "Nuggets", "Denver", "Colorado", 1976, "West", "Denver", "nuggets"),
    Team(
        1610612744,
        "Golden State Warriors",
        "GSW",
        "Warriors",
        "San Francisco",
        "California",
        1946,
        "West",
        "Golden State",
        "warriors",
    ),
    Team(1610612745, "Houston Rockets", "HOU", "Rockets", "Houston", "Texas", 1967, "West", "Houston", "rockets"),
    Team(
        1610612746,
        "Los Angeles Clippers",
        "LAC",
        "Clippers",
        "Los Angeles",
        "California",
        1970,
        "West",
        "LA",
        "clippers",
    ),
    Team(
        1610612747,
        "Los Angeles Lakers",
        "LAL",
        "Lakers",
        "Los Angeles",
        "California",
        1948,
        "West",
        "Los Angeles",
        "lakers",
    ),
    Team(1610612748, "Miami Heat", "MIA", "Heat", "Miami", "Florida", 1988, "East", "Miami", "heat"),
    Team(1610612749, "Milwaukee Bucks", "MIL", "Bucks", "Milwaukee", "Wisconsin", 1968, "East", "Milwaukee", "bucks"),
    Team(
        1610612750,
        "Minnesota Timberwolves",
        "MIN",
        "Timberwolves",
        "Minnesota",
        "Minnesota",
        1989,
        "West",
        "Minnesota",
        "timberwolves",
    ),
    Team(1610612751, "Brooklyn Nets", "BKN", "Nets", "Brooklyn", "New York", 1976, "East", "Brooklyn", "nets"),
    Team(1610612752, "New York Knicks", "NYK", "Knicks", "New York", "New York", 1946, "East", "New York", "knicks"),
    Team(1610612753, "Orlando Magic", "ORL", "Magic", "Orlando", "Florida", 1989, "East", "Orlando", "magic"),
    Team(1610612754, "Indiana Pacers", "IND", "Pacers", "Indiana", "Indiana", 1976, "East", "Indiana", "pacers"),
    Team(
        1610612755,
        "Philadelphia 76ers",
        "PHI",
        "76ers",
        "Philadelphia",
        "Pennsylvania",
        1949,
        "East",
        "Philadelphia",
        "sixers",
    ),
    Team(1610612756, "Phoenix Suns", "PHX", "Suns", "Phoenix", "Arizona", 1968, "West", "Phoenix", "suns"),
    Team(
        1610612757,
        "Portland Trail Blazers",
        "POR",
        "Trail Blazers",
        "Portland",
        "Oregon",
        1970,
        "West",
        "Portland",
        "blazers",
    ),
    Team(
        1610612758, "Sacramento Kings", "SAC", "Kings", "Sacramento", "California", 1948, "West", "Sacramento", "kings"
    ),
    Team(1610612759, "San Antonio Spurs", "SAS", "Spurs", "San Antonio", "Texas", 1976, "West", "San Antonio", "spurs"),
    Team(
        1610612760,
        "Oklahoma City Thunder",
        "OKC",
        "Thunder",
        "Oklahoma City",
        "Oklahoma",
        1967,
        "West",
        "Oklahoma City",
        "thunder",
    ),
    Team(1610612761, "Toronto Raptors", "TOR", "Raptors", "Toronto", "Ontario", 1995, "East", "Toronto", "raptors"),
    Team(1610612762, "Utah Jazz", "UTA", "Jazz", "Utah", "Utah", 1974, "West", "Utah", "jazz"),
    Team(
        1610612763,
        "Memphis Grizzlies",
        "MEM",
        "Grizzlies",
        "Memphis",
        "Tennessee",
        1995,
        "West",
        "Memphis",
        "grizzlies",
    ),
    Team(
        1610612764,
        "Washington Wizards",
        "WAS",
        "Wizards",
        "Washington",
        "District of Columbia",
        1961,
        "East",
        "Washington",
        "wizards",
    ),
    Team(1610612765, "Detroit Pistons", "DET", "Pistons", "Detroit", "Michigan", 1948, "East", "Detroit", "pistons"),
    Team(
        1610612766,
        "Charlotte Hornets",
        "CHA",
        "Hornets",
        "Charlotte",
        "North Carolina",
        1988,
        "East",
        "Charlotte",
        "hornets",
    ),
)

TEAMS_BY_ABBR: dict[str, Team] = {t.abbreviation: t for t in TEAMS}
CONFERENCES: tuple[str, str] = ("East", "West")


def conference_teams(conference: str) -> list[Team]:
    return [t for t in TEAMS if t.conference == conference]
